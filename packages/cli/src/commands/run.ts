/**
 * `egressguard run`: the OTLP stage. Runs until SIGTERM or SIGINT, then shuts down without losing anything it
 * accepted.
 */
import { parseHostPort } from '../config/components.ts';
import { Service } from '../runtime/service.ts';
import { ExitCode, UsageError, type Command, type CommandIo } from './command.ts';
import { loadConfig } from './load.ts';

/** Resolves on the first SIGTERM or SIGINT; a second one exits at once with code 1. */
export function shutdownSignal(io: CommandIo): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const first = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', first);
      process.off('SIGINT', first);
      const again = () => {
        io.stderr.write('egressguard: second signal: exiting without finishing the shutdown\n');
        process.exit(ExitCode.RUNTIME);
      };
      process.once('SIGTERM', again);
      process.once('SIGINT', again);
      resolve(signal);
    };
    process.once('SIGTERM', first);
    process.once('SIGINT', first);
  });
}

/** The `run` command. */
export const runCommand: Command = {
  name: 'run',
  summary: 'receive OTLP logs (HTTP, gRPC), run the chain, export (until SIGTERM/SIGINT)',
  help: `Usage: egressguard run [--config FILE] [--listen HOST:PORT]

Receives OTLP/HTTP logs (protobuf or JSON, gzip) on /v1/logs, and OTLP/gRPC when the
receiver lists protocols.grpc, runs them through the configured pipelines and exports
what leaves them. Without --config it runs the
default chain (see "egressguard validate --print-default"): every processor on its
defaults, state in .egressguard/state under the working directory, output to
stdout as OTLP JSON lines, or to OTLP when OTEL_EXPORTER_OTLP_ENDPOINT or
OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is set (over OTEL_EXPORTER_OTLP_PROTOCOL:
http/protobuf by default, http/json or grpc).

On start it prints one line per receiver to stderr:
  egressguard: receiver otlp listening on 127.0.0.1:4318
  egressguard: receiver otlp (grpc) listening on 127.0.0.1:4317   (when grpc is served)
When an export queue is full, clients get 503 with Retry-After (gRPC: UNAVAILABLE
with RetryInfo) and should retry.
On SIGTERM or SIGINT it stops accepting, flushes the pipelines (open windows too),
saves state, exports everything queued, and exits 0 (1 when the state could not be
saved). A second signal exits at once.

Options:
  -c, --config FILE         configuration (YAML or JSON)
  -l, --listen HOST:PORT    listen here instead of the receiver's HTTP endpoint (its
                            gRPC one when it serves gRPC alone; port 0 picks a free
                            port; the bound one is printed)
  -h, --help                show this help
`,
  options: {
    config: { type: 'string', short: 'c' },
    listen: { type: 'string', short: 'l' },
  },
  async run(values, positionals, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const listen = values.listen as string | undefined;
    if (listen !== undefined && parseHostPort(listen) === undefined) {
      throw new UsageError(`--listen ${listen}: must be HOST:PORT (for example 127.0.0.1:4318, [::1]:0)`);
    }
    const { config, file } = loadConfig(values.config as string | undefined, io, true);
    const service = new Service(config, {
      ...(listen !== undefined ? { listen } : {}),
      streams: { stdout: io.stdout },
      log: (line) => io.stderr.write(`${line}\n`),
    });
    const signal = shutdownSignal(io);
    let bound;
    try {
      bound = await service.start();
    } catch (error) {
      await service.stop().catch(() => undefined);
      throw error;
    }
    io.stderr.write(
      `egressguard: running ${file ?? 'the default configuration'}; state in ${config.state.path}\n`,
    );
    for (const r of bound) {
      const host = r.host.includes(':') ? `[${r.host}]` : r.host;
      const name = r.protocol === 'grpc' ? `${r.id} (grpc)` : r.id;
      io.stderr.write(`egressguard: receiver ${name} listening on ${host}:${r.port}\n`);
    }
    const received = await signal;
    io.stderr.write(`egressguard: ${received}: shutting down\n`);
    await service.stop();
    const counters = service.counters();
    const lost = Object.values(counters.balance)
      .flatMap((stages) => Object.values(stages))
      .reduce((n, b) => n + b.lost, 0);
    io.stderr.write(`egressguard: ${lost} records lost in the pipelines\n`);
    io.stderr.write(`egressguard: stopped; ${JSON.stringify(counters.exporters)}\n`);
    if (service.stateSaveFailed()) {
      // A supervisor must learn that the baseline of this run is lost: the next start restores an older snapshot.
      io.stderr.write(
        `egressguard: state was not saved to ${config.state.path} at shutdown (see above); the next start restores the last snapshot that was saved\n`,
      );
      return ExitCode.RUNTIME;
    }
    return ExitCode.OK;
  },
};

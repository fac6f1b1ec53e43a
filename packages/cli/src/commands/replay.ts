/**
 * `egressguard replay`: files through the chain, OTLP JSON lines out, a summary on stderr.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { dirname, resolve } from 'node:path';
import type { Writable } from 'node:stream';

import { setErrorHandler, getErrorHandler } from '@egressguard/core';
import { SENSOR_FORMAT_NAMES } from '@egressguard/normalize';

import { ProgressBar } from '../internal/progress-bar.ts';
import { formatReplaySummary } from '../internal/replay-summary.ts';
import { OTLP_JSON_FORMAT, inputSizes, replay } from '../runtime/replay.ts';
import { ExitCode, UsageError, type Command } from './command.ts';
import { loadConfig } from './load.ts';

function sensorFormatNames(): string[] {
  return [...SENSOR_FORMAT_NAMES];
}

function formatNames(): string[] {
  return [OTLP_JSON_FORMAT, 'auto', ...sensorFormatNames()];
}

/** The `replay` command. */
export const replayCommand: Command = {
  name: 'replay',
  summary: 'run files through the chain: OTLP JSON lines out, a summary on stderr',
  help: `Usage: egressguard replay [--config FILE] [--format FORMAT] [--host NAME]
                          [--output FILE] [--state-dir DIR] [--quiet] INPUT...

Reads each INPUT in order (- is standard input), runs the records through every
pipeline of the configuration over event time, writes what leaves the chain as
OTLP JSON lines (one ExportLogsServiceRequest per line) and prints a summary to
stderr: records in and out per stage, drops with reasons, late records, input
lines that could not be read, the detections and the blind-spot table.
Receivers and exporters of the configuration are not used: input comes from the
files, output goes to --output.

State: without --state-dir, the replay starts from an empty state and keeps none,
so that a backtest never changes the baseline "egressguard run" learns. With
--state-dir DIR (or a configuration file that sets service.state.directory) the
pipelines' state is restored from DIR first and saved there at the end.

Options:
  -c, --config FILE    configuration (YAML or JSON); default: the default chain
  -f, --format FORMAT  input format: otlp-json (default: OTLP JSON lines as the
                       Collector's file exporter writes them), auto (detect a
                       sensor format), or a sensor format: ${sensorFormatNames().join(', ')}
  -o, --output FILE    where OTLP JSON lines go (default: standard output)
      --host NAME      host.name of sensor records whose input names no host
                       (ss, tcplife, Zeek, auditd without node=); default: this
                       machine's host name
      --state-dir DIR  restore state from DIR and save it there at the end
  -q, --quiet          print only the counts, not the detection and blind-spot tables
  -h, --help           show this help
`,
  options: {
    config: { type: 'string', short: 'c' },
    format: { type: 'string', short: 'f' },
    host: { type: 'string' },
    output: { type: 'string', short: 'o' },
    'state-dir': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  },
  async run(values, positionals, io) {
    if (positionals.length === 0)
      throw new UsageError('expected at least one INPUT file (- for standard input)');
    const format = (values.format as string | undefined) ?? OTLP_JSON_FORMAT;
    if (!formatNames().includes(format))
      throw new UsageError(`unknown format "${format}" (known: ${formatNames().join(', ')})`);
    const { config } = loadConfig(values.config as string | undefined, io, false);

    // Without a state directory the replay starts empty and saves nothing: the same as a throw-away temporary
    // directory, without the directory.
    let stateDirectory: string | undefined;
    if (typeof values['state-dir'] === 'string') stateDirectory = resolve(io.cwd, values['state-dir']);
    else if (values.config !== undefined && config.state.explicit) stateDirectory = config.state.path;

    // Before the output is created: a missing input leaves no empty output file behind.
    inputSizes(positionals);
    const output: Writable =
      typeof values.output === 'string' ? createOutput(resolve(io.cwd, values.output)) : io.stdout;
    const reported = new Map<string, { count: number; first: string }>();
    const previousHandler = getErrorHandler();
    setErrorHandler((e) => {
      const key = `${e.component}: ${e.reason}`;
      const entry = reported.get(key);
      if (entry) entry.count++;
      else
        reported.set(key, {
          count: 1,
          first: e.message + (e.cause instanceof Error ? `: ${e.cause.message}` : ''),
        });
    });
    try {
      const result = await replay({
        config,
        inputs: positionals,
        format,
        ...(typeof values.host === 'string' ? { host: values.host } : {}),
        output,
        stdin: io.stdin,
        ...(stateDirectory !== undefined ? { stateDirectory } : {}),
        ...(io.stderr.isTTY ? { progress: new ProgressBar(io.stderr) } : {}),
      });
      if (output !== io.stdout) {
        output.end();
        await once(output, 'finish');
      }
      io.stderr.write(formatReplaySummary(result, reported, values.quiet !== true));
      return ExitCode.OK;
    } finally {
      setErrorHandler(previousHandler);
    }
  },
};

/** The --output file, its folder created when missing. */
function createOutput(path: string): WriteStream {
  mkdirSync(dirname(path), { recursive: true });
  return createWriteStream(path);
}

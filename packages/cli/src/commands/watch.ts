/**
 * `egressguard watch`: this host, live. Picks the best receiver this machine allows (eBPF, then auditd, then
 * procfs), says which and what it cannot see, runs the default chain, prints each detection as it fires and the
 * blind-spot table at exit (SIGINT/SIGTERM).
 */
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { resolve } from 'node:path';

import {
  CoverageAttr,
  DetectionAttr,
  EventName,
  getInt,
  getString,
  type ReadonlyPipelineRecord,
} from '@egressguard/schema';

import { parseConfigText, type ResolvedConfig } from '../config/load-config.ts';
import { WATCH_RECEIVERS, watchConfigYaml, type WatchReceiver } from '../config/watch-config.ts';
import { auditdAvailable, ebpfAvailable, type HostReceiver } from '../host-receivers/index.ts';
import { coverageRows, formatCoverageRows } from '../internal/coverage-table.ts';
import { formatDetectionTable } from '../internal/detection-table.ts';
import { Service } from '../runtime/service.ts';
import { ExitCode, UsageError, type Command } from './command.ts';
import { loadConfig } from './load.ts';
import { shutdownSignal } from './run.ts';

/** Whether a receiver can run here, and if not what it needs. */
function availability(receiver: WatchReceiver): { ok: boolean; why?: string } {
  if (receiver === 'ebpf') return ebpfAvailable();
  if (receiver === 'auditd') return auditdAvailable();
  return { ok: true };
}

/** A warning when auditd logs no `connect` calls (the receiver then sees processes but no connections). */
function auditRulesHint(): string | undefined {
  let rules: string;
  try {
    rules = execFileSync('auditctl', ['-l'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return 'cannot list the audit rules (auditctl -l): connections are seen only if a rule logs connect()';
  }
  return /\bconnect\b/.test(rules)
    ? undefined
    : 'no audit rule logs connect(): add one (auditctl -a always,exit -F arch=b64 -S connect -k egressguard_connect) or run watch with --audit-rules';
}

function utc(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** The `watch` command. */
export const watchCommand: Command = {
  name: 'watch',
  summary: 'watch this host live (eBPF, auditd or /proc) and print detections as they fire',
  help: `Usage: egressguard watch [--receiver auto|ebpf|auditd|procfs] [--state DIR] [--config FILE]

Watches this host live: connections and process starts from the best sensor this
machine allows, through the default chain; each detection is printed as it fires,
the blind-spot table at exit (SIGINT or SIGTERM).

Receivers, best first (auto picks the first that works, and says why it skipped
the others):
  ebpf    egressguard's bpftrace program: every TCP connection with exact bytes and
          outcome, every exec and exit (root, bpftrace, a kernel with BTF)
  auditd  the audit log: connect() and execve() calls, no bytes (read access to
          /var/log/audit/audit.log, and audit rules for connect and execve)
  procfs  /proc/net/tcp polling: no privilege needed, but short connections fall
          between polls and no bytes are seen

Output: detections on stdout; all records as OTLP to OTEL_EXPORTER_OTLP_ENDPOINT
(or OTEL_EXPORTER_OTLP_LOGS_ENDPOINT) when set, else as OTLP JSON lines in
watch.jsonl beside the state directory.

Options:
  -r, --receiver NAME   auto (default), ebpf, auditd or procfs
  -s, --state DIR       state directory (default: .egressguard/state)
      --audit-rules     auditd: add connect and execve rules (keys egressguard_watch_*)
                        while watching, and remove exactly those at exit
  -c, --config FILE     run this configuration instead (its receivers must be
                        ebpf, auditd or procfs)
      --print-config    print the configuration watch would run, and exit
  -h, --help            show this help
`,
  options: {
    receiver: { type: 'string', short: 'r' },
    state: { type: 'string', short: 's' },
    config: { type: 'string', short: 'c' },
    'audit-rules': { type: 'boolean' },
    'print-config': { type: 'boolean' },
  },
  async run(values, positionals, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const wanted = (values.receiver as string | undefined) ?? 'auto';
    if (wanted !== 'auto' && !(WATCH_RECEIVERS as readonly string[]).includes(wanted)) {
      throw new UsageError(`--receiver ${wanted}: expected auto, ${WATCH_RECEIVERS.join(', ')}`);
    }
    const configFile = values.config as string | undefined;
    if (configFile !== undefined && (values.receiver !== undefined || values.state !== undefined)) {
      throw new UsageError('--config cannot be combined with --receiver or --state (the file names both)');
    }
    const stateDirectory = resolve(io.cwd, (values.state as string | undefined) ?? '.egressguard/state');
    const say = (line: string) => io.stderr.write(`egressguard watch: ${line}\n`);
    const configFor = (receiver: WatchReceiver): ResolvedConfig =>
      parseConfigText(
        watchConfigYaml(
          {
            receiver,
            stateDirectory,
            outputFile: resolve(stateDirectory, '..', 'watch.jsonl'),
            installAuditRules: values['audit-rules'] === true,
          },
          io.env,
        ),
        { registry: io.registry, env: io.env, cwd: io.cwd, requireEnds: true },
      );

    if (values['print-config']) {
      const receiver =
        wanted === 'auto' ? (WATCH_RECEIVERS.find((r) => availability(r).ok) ?? 'procfs') : wanted;
      io.stdout.write(
        watchConfigYaml(
          {
            receiver: receiver as WatchReceiver,
            stateDirectory,
            outputFile: resolve(stateDirectory, '..', 'watch.jsonl'),
            installAuditRules: values['audit-rules'] === true,
          },
          io.env,
        ),
      );
      return ExitCode.OK;
    }

    let detections = 0;
    let revisions = 0;
    const coverage: ReadonlyPipelineRecord[] = [];
    let printedBefore = false;
    const observe = (records: readonly ReadonlyPipelineRecord[]) => {
      const all = records.filter((r) => r.eventName === EventName.DETECTION);
      for (const r of records) if (r.eventName === EventName.COVERAGE) coverage.push(r);
      // A revision (the window closed) carries the same detection id as the alert it revises: never a second alert.
      const isRevision = (r: ReadonlyPipelineRecord) =>
        (getInt(r.attributes, DetectionAttr.REVISION) ?? 0) > 0;
      const fired = all.filter((r) => !isRevision(r));
      const revised = all.filter(isRevision);
      detections += fired.length;
      revisions += revised.length;
      // Each firing: the wall time it was printed, then the detections table of what fired (or was revised).
      for (const [title, group] of [
        ['Detection fired', fired],
        ['Detection revised (its window closed)', revised],
      ] as const) {
        if (group.length === 0) continue;
        io.stdout.write(
          `${printedBefore ? '\n' : ''}${title} at ${utc(Date.now())}:\n${formatDetectionTable(group)}\n`,
        );
        printedBefore = true;
      }
    };
    const signal = shutdownSignal(io);
    const serviceFor = (config: ResolvedConfig) =>
      new Service(config, {
        streams: { stdout: io.stdout },
        log: (line) => io.stderr.write(`${line}\n`),
        observe,
      });

    let service: Service | undefined;
    let config: ResolvedConfig | undefined;
    if (configFile !== undefined) {
      config = loadConfig(configFile, io, true).config;
      const types = [...config.receivers.values()].map((r) => r.type);
      if (!types.every((t) => (WATCH_RECEIVERS as readonly string[]).includes(t))) {
        throw new UsageError(
          `${configFile}: watch runs only the ebpf, auditd and procfs receivers (found ${types.join(', ')})`,
        );
      }
      service = serviceFor(config);
      try {
        await service.start();
      } catch (error) {
        await service.stop().catch(() => undefined);
        throw error;
      }
    } else {
      const candidates = wanted === 'auto' ? [...WATCH_RECEIVERS] : [wanted as WatchReceiver];
      if (process.getuid?.() !== 0)
        say(
          'not running as root: eBPF and the audit log need root (sudo egressguard watch); falling back to what this user can read',
        );
      for (const receiver of candidates) {
        const can = availability(receiver);
        if (!can.ok) {
          say(`${receiver}: unavailable: ${can.why}`);
          continue;
        }
        if (receiver === 'auditd' && values['audit-rules'] !== true) {
          const hint = auditRulesHint();
          if (hint) say(`auditd: ${hint}`);
        }
        const candidate = configFor(receiver);
        const attempt = serviceFor(candidate);
        try {
          await attempt.start();
          service = attempt;
          config = candidate;
          break;
        } catch (error) {
          await attempt.stop().catch(() => undefined);
          const cause =
            (error as Error).cause instanceof Error ? `: ${((error as Error).cause as Error).message}` : '';
          say(`${receiver}: could not start: ${(error as Error).message}${cause}`);
        }
      }
      if (!service || !config) {
        say(`no receiver could start (tried ${candidates.join(', ')})`);
        return ExitCode.RUNTIME;
      }
    }

    const receivers: ReadonlyMap<string, HostReceiver> = service.hostReceivers();
    for (const [id, receiver] of receivers) {
      say(`watching ${hostname()} with ${id}; state in ${config.state.path}`);
      for (const blind of receiver.blindSpots) say(`${id} cannot see: ${blind}`);
    }
    say('detections are printed as they fire; Ctrl-C stops and prints the blind-spot table');

    const received = await signal;
    say(`${received}: shutting down`);
    await service.stop();

    const revisedNote = revisions > 0 ? ` (${revisions} revision(s) when their windows closed)` : '';
    io.stdout.write(
      `\n${detections === 0 ? 'No detections.' : `${detections} detection(s)${revisedNote}.`}\n`,
    );
    io.stdout.write('\nBlind spots (connections lacking a process, bytes or HTTP):\n');
    io.stdout.write(`${formatCoverageRows(coverageRows(coverage))}\n`);
    const gaps = coverage.filter((r) => getInt(r.attributes, CoverageAttr.SENSOR_DOWN_MS) !== undefined);
    for (const gap of gaps) {
      const a = gap.attributes;
      io.stdout.write(
        `Sensor down ${utc(getInt(a, CoverageAttr.PERIOD_START) ?? 0)} – ${utc(getInt(a, CoverageAttr.PERIOD_END) ?? 0)} (${getInt(a, CoverageAttr.SENSOR_DOWN_MS)} ms, ${getString(a, CoverageAttr.SENSOR_DOWN_REASON) ?? 'unknown reason'}): connections of that time were not seen.\n`,
      );
    }
    for (const [id, receiver] of receivers) say(`${id}: ${JSON.stringify(receiver.counters())}`);
    if (service.stateSaveFailed()) return ExitCode.RUNTIME;
    return ExitCode.OK;
  },
};

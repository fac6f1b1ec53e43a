/**
 * The configuration `egressguard watch` runs with when given none: one host receiver, the default chain tuned for a
 * live host (windows close when the host has been quiet, so a detection does not wait for the next connection),
 * and OTLP out when the standard variables name an endpoint, else OTLP JSON lines in a file beside the state.
 */
import { DEFAULT_CHAIN, defaultProcessorsYaml, otlpEndpointFromEnv } from './default-config.ts';

/** The host receivers `watch` can pick, best first. */
export const WATCH_RECEIVERS = ['ebpf', 'auditd', 'procfs'] as const;
/** One of {@link WATCH_RECEIVERS}. */
export type WatchReceiver = (typeof WATCH_RECEIVERS)[number];

/** Options of {@link watchConfigYaml}. */
export interface WatchConfigOptions {
  readonly receiver: WatchReceiver;
  /** The state directory. */
  readonly stateDirectory: string;
  /** Where OTLP JSON lines go when no OTLP endpoint is set. */
  readonly outputFile: string;
  /** `auditd` only: let the receiver add (and at stop remove) its own connect and execve rules. */
  readonly installAuditRules?: boolean;
}

function quote(value: string): string {
  return JSON.stringify(value);
}

/** The configuration text of `watch` for the given receiver and environment. */
export function watchConfigYaml(
  options: WatchConfigOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const endpoint = otlpEndpointFromEnv(env);
  const receiver =
    options.receiver === 'auditd' && options.installAuditRules
      ? ['  auditd:', '    rules:', '      install: true', '      key_prefix: egressguard_watch']
      : [`  ${options.receiver}: {}`];
  const exporter = endpoint
    ? ['  # OTEL_EXPORTER_OTLP_(LOGS_)ENDPOINT is set: export there.', '  otlphttp:', '    encoding: proto']
    : [
        '  # No OTEL_EXPORTER_OTLP_(LOGS_)ENDPOINT: OTLP JSON lines in a file.',
        '  file:',
        `    path: ${quote(options.outputFile)}`,
      ];
  return [
    '# egressguard watch: this host, live (`egressguard watch --print-config`).',
    'receivers:',
    ...receiver,
    '',
    ...defaultProcessorsYaml({ idleFlushMs: 5000 }),
    '',
    'exporters:',
    ...exporter,
    '',
    'service:',
    '  state:',
    `    directory: ${quote(options.stateDirectory)}`,
    '  pipelines:',
    '    logs:',
    `      receivers: [${options.receiver}]`,
    `      processors: [${DEFAULT_CHAIN.join(', ')}]`,
    `      exporters: [${endpoint ? 'otlphttp' : 'file'}]`,
    '',
  ].join('\n');
}

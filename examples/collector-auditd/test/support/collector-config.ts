/**
 * Reads OpenTelemetry Collector configuration files and the egressguard configuration beside them, for the tests
 * that check the two agree: what the Collector sends is what egressguard's receiver accepts, and what egressguard
 * exports reaches the Collector's results receiver. Used by the tests of both Collector examples.
 */
import { readFileSync } from 'node:fs';

import {
  createProcessorRegistry,
  loadConfigFile,
  type OtlpHttpExporterConfig,
  type OtlpReceiverConfig,
  type ResolvedConfig,
} from '@egressguard/cli';
import { parse } from 'yaml';

/** A Collector component's options, as written. */
export type Options = Record<string, unknown>;

/** The parts of a Collector configuration these tests read. */
export interface CollectorConfig {
  readonly receivers: Record<string, Options | null>;
  readonly processors: Record<string, Options | null>;
  readonly exporters: Record<string, Options | null>;
  readonly extensions?: Record<string, Options | null>;
  readonly service: {
    readonly extensions?: string[];
    readonly pipelines: Record<string, { receivers?: string[]; processors?: string[]; exporters?: string[] }>;
  };
}

/**
 * Parses a Collector YAML file as the Collector resolves it with the environment unset: `${env:NAME:-default}` is
 * its default, `${env:NAME}` is empty. Throws when a top-level section the tests rely on is missing.
 */
export function loadCollectorConfig(file: string): CollectorConfig {
  const text = readFileSync(file, 'utf8')
    .replace(/\$\{env:[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}/g, '$1')
    .replace(/\$\{env:[A-Za-z_][A-Za-z0-9_]*\}/g, '');
  const raw = parse(text) as Partial<CollectorConfig> | null;
  if (!raw?.receivers || !raw.exporters || !raw.service?.pipelines)
    throw new Error(`${file}: receivers, exporters and service.pipelines are required`);
  return {
    ...(raw.extensions ? { extensions: raw.extensions } : {}),
    receivers: raw.receivers,
    processors: raw.processors ?? {},
    exporters: raw.exporters,
    service: raw.service,
  };
}

/**
 * What the Collector would refuse or silently ignore: a pipeline naming a component that is not defined, a pipeline
 * without receivers or exporters, a component defined but used by no pipeline.
 */
export function pipelineProblems(config: CollectorConfig): string[] {
  const problems: string[] = [];
  const used = { receivers: new Set<string>(), processors: new Set<string>(), exporters: new Set<string>() };
  for (const [id, pipeline] of Object.entries(config.service.pipelines)) {
    if (!/^logs(\/.+)?$/.test(id))
      problems.push(`service.pipelines.${id}: egressguard's examples are logs pipelines`);
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      const refs = pipeline[kind] ?? [];
      if (kind !== 'processors' && refs.length === 0)
        problems.push(`service.pipelines.${id}.${kind}: a pipeline needs at least one`);
      for (const ref of refs) {
        used[kind].add(ref);
        if (!(ref in config[kind])) problems.push(`service.pipelines.${id}.${kind}: ${ref} is not defined`);
      }
    }
  }
  for (const kind of ['receivers', 'processors', 'exporters'] as const) {
    for (const id of Object.keys(config[kind]))
      if (!used[kind].has(id)) problems.push(`${kind}.${id}: defined but used by no pipeline`);
  }
  return problems;
}

/** The pipelines whose `kind` list contains `id`. */
export function pipelinesUsing(
  config: CollectorConfig,
  kind: 'receivers' | 'processors' | 'exporters',
  id: string,
): string[] {
  return Object.entries(config.service.pipelines)
    .filter(([, p]) => (p[kind] ?? []).includes(id))
    .map(([pid]) => pid);
}

/** `host:port` of an http(s) URL, with the scheme's default port when the URL has none. */
export function urlHostPort(url: string): string {
  const u = new URL(url);
  const port = u.port !== '' ? u.port : u.protocol === 'https:' ? '443' : '80';
  return `${u.hostname}:${port}`;
}

/** The egressguard configuration as `egressguard run` resolves it, with every `${env:…}` at its default. */
export function loadEgressguardConfig(file: string): ResolvedConfig {
  return loadConfigFile(file, { registry: createProcessorRegistry(), env: {}, requireEnds: true });
}

/** The listen address (`host:port`) of an egressguard `otlp` receiver. */
export function receiverEndpoint(config: ResolvedConfig, id = 'otlp'): string {
  const receiver = config.receivers.get(id);
  if (!receiver) throw new Error(`egressguard configuration has no receiver ${id}`);
  const http = (receiver.config as OtlpReceiverConfig).protocols.http;
  if (!http) throw new Error(`egressguard receiver ${id} serves no OTLP/HTTP`);
  return http.endpoint;
}

/** An egressguard `otlphttp` exporter's options. */
export function exporterOptions(config: ResolvedConfig, id = 'otlphttp'): OtlpHttpExporterConfig {
  const exporter = config.exporters.get(id);
  if (!exporter) throw new Error(`egressguard configuration has no exporter ${id}`);
  return exporter.config as OtlpHttpExporterConfig;
}

/**
 * What egressguard's receiver accepts (see the receiver table of the otlp package): `application/x-protobuf` or
 * `application/json` bodies, which the Collector's otlphttp exporter sends for `encoding: proto` / `json`; gzip or
 * no content encoding (the Collector's `compression: gzip` / `none`).
 */
export const ACCEPTED_ENCODINGS: readonly string[] = ['proto', 'json'];
/** See {@link ACCEPTED_ENCODINGS}. */
export const ACCEPTED_COMPRESSIONS: readonly string[] = ['gzip', 'none'];

/**
 * Checks a Collector `otlphttp` exporter against an egressguard receiver's listen address; returns the problems.
 * The exporter's defaults are the Collector's: `encoding: proto`, `compression: gzip`, `/v1/logs` appended to
 * `endpoint` unless `logs_endpoint` is given.
 */
export function exporterMatchesReceiver(exporter: Options, receiverHostPort: string): string[] {
  const problems: string[] = [];
  const encoding = (exporter.encoding as string | undefined) ?? 'proto';
  const compression = (exporter.compression as string | undefined) ?? 'gzip';
  if (!ACCEPTED_ENCODINGS.includes(encoding))
    problems.push(`encoding ${encoding} is not accepted by egressguard`);
  if (!ACCEPTED_COMPRESSIONS.includes(compression))
    problems.push(`compression ${compression} is not accepted by egressguard`);
  const logsEndpoint = exporter.logs_endpoint as string | undefined;
  const endpoint = exporter.endpoint as string | undefined;
  if (logsEndpoint !== undefined) {
    if (new URL(logsEndpoint).pathname !== '/v1/logs')
      problems.push(`logs_endpoint ${logsEndpoint} is not /v1/logs`);
    if (urlHostPort(logsEndpoint) !== receiverHostPort)
      problems.push(`logs_endpoint ${logsEndpoint} is not egressguard's ${receiverHostPort}`);
  } else if (endpoint === undefined) {
    problems.push('neither endpoint nor logs_endpoint is set');
  } else {
    const path = new URL(endpoint).pathname;
    // The Collector appends /v1/logs to the endpoint's path: the path must be empty for it to be ours.
    if (path !== '/' && path !== '')
      problems.push(`endpoint ${endpoint} has a path; the exporter appends /v1/logs`);
    if (urlHostPort(endpoint) !== receiverHostPort)
      problems.push(`endpoint ${endpoint} is not egressguard's ${receiverHostPort}`);
  }
  return problems;
}

/**
 * Checks that a Collector `otlp` receiver takes what an egressguard `otlphttp` exporter sends: OTLP/HTTP on the
 * exporter's host and port, on the path egressguard posts to (the receiver's `logs_url_path`, default `/v1/logs`).
 */
export function receiverMatchesExporter(receiver: Options, exporter: OtlpHttpExporterConfig): string[] {
  const http = (receiver.protocols as Options | undefined)?.http as Options | undefined;
  if (!http) return ['the receiver has no protocols.http: egressguard exports OTLP/HTTP'];
  const problems: string[] = [];
  // As egressguard builds the URL: logs_endpoint as is, else endpoint with /v1/logs appended (as the Collector does).
  const target =
    exporter.logs_endpoint ??
    (exporter.endpoint !== undefined ? `${exporter.endpoint.replace(/\/+$/, '')}/v1/logs` : undefined);
  if (target === undefined) return ['the egressguard exporter has no endpoint'];
  const expectedPath = new URL(target).pathname;
  const receiverPath = (http.logs_url_path as string | undefined) ?? '/v1/logs';
  if (receiverPath !== expectedPath) problems.push(`receiver path ${receiverPath} is not ${expectedPath}`);
  if (http.endpoint !== urlHostPort(target))
    problems.push(
      `receiver listens on ${String(http.endpoint)}, egressguard exports to ${urlHostPort(target)}`,
    );
  return problems;
}

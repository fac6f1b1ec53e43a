/**
 * A Node agent that runs the egressguard chain inside the OpenTelemetry JS SDK.
 *
 * The SDK's `LoggerProvider` hands every record to every processor and none can drop or add records; the chain sits
 * in a `ChainLogRecordProcessor` (from `@egressguard/core`), which runs the egressguard stages and forwards only
 * what leaves them (flows and detections, and whatever the stages emit later, when windows close) to the next SDK
 * processor: a `BatchLogRecordProcessor` with the OTLP/protobuf exporter.
 *
 *   logger.emit(connection) ─► ChainLogRecordProcessor [process_attribution ─► http_flow_aggregator ─►
 *                               novelty_filter ─► ratio_detector] ─► BatchLogRecordProcessor ─► OTLPLogExporter
 */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';

import {
  ChainLogRecordProcessor,
  FileStateStore,
  type Pipeline,
  type PipelineSnapshot,
  type ProcessorFactory,
  type StageBalance,
} from '@egressguard/core';
import { httpFlowAggregatorFactory } from '@egressguard/http-flow-aggregator';
import { noveltyFilterFactory } from '@egressguard/novelty-filter';
import { processAttributionFactory } from '@egressguard/process-attribution';
import { ratioDetectorFactory } from '@egressguard/ratio-detector';
import {
  BytesKind,
  ConnectionAttr,
  EventName,
  HttpAttr,
  NetworkAttr,
  ProcessAttr,
  ProvenanceAttr,
  ResourceAttr,
} from '@egressguard/schema';
import type { AnyValue, Logger } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';

import { ConnectionObserver, type ObservedConnection } from './connection-observer.ts';

export { ConnectionObserver } from './connection-observer.ts';
export type { ConnectionFilter, ObservedConnection, ObservedHttpExchange } from './connection-observer.ts';

/** The stages of the agent's chain, in order. */
export const AGENT_STAGES = [
  'process_attribution',
  'http_flow_aggregator',
  'novelty_filter',
  'ratio_detector',
] as const;

/** A stage of the agent's chain. */
export type AgentStage = (typeof AGENT_STAGES)[number];

/** `egressguard.source.format` of the connections the agent observes itself. */
export const NODE_SOURCE_FORMAT = 'node.net';

/** Options of {@link startAgent}. */
export interface AgentOptions {
  /** OTLP/HTTP logs URL the results are exported to, e.g. `http://127.0.0.1:4318/v1/logs`. Required. */
  readonly endpoint: string;
  /** `host.name` of the resource. Default: `os.hostname()` (which also makes /proc lookups apply). */
  readonly hostName?: string;
  /** `service.name` of the resource. Default: `egressguard-node-agent`. */
  readonly serviceName?: string;
  /**
   * Where the chain's state (the novelty baseline, the detector's fired ids) is kept between runs: restored at start,
   * saved at shutdown. Default: `.egressguard/node-agent`.
   */
  readonly stateDir?: string;
  /**
   * Each stage's options, in the shape of its configuration (`egressguard describe TYPE`), laid over the agent's
   * defaults key by key (a key given here replaces the default's whole value). Default: the agent's defaults.
   */
  readonly processors?: Partial<Record<AgentStage, Record<string, unknown>>>;
  /** How often the batch processor exports, in milliseconds. Default: 1000 (the SDK's). */
  readonly exportDelayMs?: number;
  /** Watch this process's own outbound TCP connections. Default: true. */
  readonly observeOwnConnections?: boolean;
}

/** A running agent. */
export interface Agent {
  /** The SDK logger whose records go through the chain; emit `egressguard.connection` records to it. */
  readonly logger: Logger;
  /** Emits one connection of this process as an `egressguard.connection` record. */
  recordConnection(connection: ObservedConnection): void;
  /** Runs the chain's flush (open windows included) and exports everything. */
  forceFlush(): Promise<void>;
  /** Stops watching connections, flushes the chain (open windows close), exports and shuts the SDK down. */
  shutdown(): Promise<void>;
  /** What each stage of the chain did with records (in, out, added, dropped, held, lost), by stage. */
  balance(): Record<string, StageBalance>;
}

/**
 * The agent's defaults: live /proc lookups (the records are about this very host, now), aggregated connection
 * records dropped once counted (only flows and detections leave the agent), and windows closed by the wall clock
 * when the process goes quiet.
 */
function defaultOptions(): Record<AgentStage, Record<string, unknown>> {
  return {
    process_attribution: { procfs: { enabled: true } },
    http_flow_aggregator: { connections: 'drop', idle_flush_ms: 60_000 },
    novelty_filter: {},
    ratio_detector: {},
  };
}

const FACTORIES: Record<AgentStage, ProcessorFactory<unknown>> = {
  process_attribution: processAttributionFactory,
  http_flow_aggregator: httpFlowAggregatorFactory,
  novelty_filter: noveltyFilterFactory,
  ratio_detector: ratioDetectorFactory,
};

/**
 * Starts the agent: builds the SDK logging pipeline with the chain in it and, unless turned off, reports this
 * process's outbound connections through it. Throws a `ConfigError` naming the key when a stage's options are
 * invalid.
 */
export function startAgent(options: AgentOptions): Agent {
  const exportUrl = new URL(options.endpoint);
  const defaults = defaultOptions();
  // The processors never write state themselves: whoever runs them does (here the agent, at start and shutdown).
  const state = new FileStateStore<PipelineSnapshot>(
    join(options.stateDir ?? '.egressguard/node-agent', 'pipeline.json'),
  );
  let chainPipeline: Pipeline | undefined;
  // Validate every stage's options before anything starts, so that a bad option fails here and names its key.
  const configs = AGENT_STAGES.map((stage) => {
    const factory = FACTORIES[stage];
    const raw = { ...defaults[stage], ...options.processors?.[stage] };
    return { stage, factory, config: factory.config.parse(raw, `processors.${stage}`) };
  });

  const chain = new ChainLogRecordProcessor({
    stages: (pipeline) => {
      chainPipeline = pipeline;
      for (const { stage, factory, config } of configs) {
        // `emit` carries what a stage produces outside a batch (a window closed by the idle timer) down the chain.
        pipeline.addStage(stage, (emit) =>
          factory.create(config, { id: stage, now: () => Date.now(), emit }),
        );
      }
    },
    next: new BatchLogRecordProcessor({
      exporter: new OTLPLogExporter({ url: exportUrl.href }),
      ...(options.exportDelayMs !== undefined ? { scheduledDelayMillis: options.exportDelayMs } : {}),
    }),
  });
  const saved = state.load();
  if (saved !== undefined) chainPipeline!.restore(saved);
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({
      [ResourceAttr.HOST_NAME]: options.hostName ?? hostname(),
      'service.name': options.serviceName ?? 'egressguard-node-agent',
    }),
    processors: [chain],
  });
  const logger = provider.getLogger('@egressguard/example-node-agent', '0.1.0');

  const recordConnection = (connection: ObservedConnection): void => {
    logger.emit({
      eventName: EventName.CONNECTION,
      timestamp: connection.startMs,
      observedTimestamp: Date.now(),
      attributes: connectionAttributes(connection),
    });
  };
  const observer =
    options.observeOwnConnections === false
      ? undefined
      : new ConnectionObserver(recordConnection, exportDestination(exportUrl));

  let stopped: Promise<void> | undefined;
  return {
    logger,
    recordConnection,
    forceFlush: () => provider.forceFlush(),
    balance: () => chain.balance(),
    shutdown() {
      stopped ??= (async () => {
        // Stop first: connections still open are recorded (outcome open) before the chain flushes.
        observer?.stop();
        await provider.shutdown();
        state.save(await chainPipeline!.snapshot());
      })();
      return stopped;
    },
  };
}

/** The schema attributes of one connection of this process. */
function connectionAttributes(c: ObservedConnection): Record<string, AnyValue> {
  const attributes: Record<string, AnyValue> = {
    // The process is this one; process_attribution fills in the rest (command line, user, start time) from /proc.
    [ProcessAttr.PID]: process.pid,
    [ProcessAttr.EXECUTABLE_PATH]: process.execPath,
    [NetworkAttr.TRANSPORT]: 'tcp',
    [ConnectionAttr.BYTES_SENT]: c.bytesSent,
    [ConnectionAttr.BYTES_RECEIVED]: c.bytesReceived,
    [ConnectionAttr.DURATION_MS]: c.durationMs,
    [ConnectionAttr.OUTCOME]: c.outcome,
    [ProvenanceAttr.SOURCE_FORMAT]: NODE_SOURCE_FORMAT,
    // socket.bytesWritten / bytesRead count what the process wrote and read: payload, no TCP/IP headers.
    [ProvenanceAttr.BYTES_KIND]: BytesKind.PAYLOAD,
  };
  if (c.sourceAddress !== undefined) attributes[NetworkAttr.SOURCE_ADDRESS] = c.sourceAddress;
  if (c.sourcePort !== undefined) attributes[NetworkAttr.SOURCE_PORT] = c.sourcePort;
  if (c.destinationAddress !== undefined) {
    attributes[NetworkAttr.DESTINATION_ADDRESS] = c.destinationAddress;
    const family = isIP(c.destinationAddress);
    if (family !== 0) attributes[NetworkAttr.TYPE] = family === 4 ? 'ipv4' : 'ipv6';
  }
  if (c.destinationPort !== undefined) attributes[NetworkAttr.DESTINATION_PORT] = c.destinationPort;
  if (c.http) {
    // Seen, not inferred from the port: the agent watched the request itself.
    attributes[NetworkAttr.PROTOCOL_NAME] = 'http';
    attributes[HttpAttr.REQUEST_METHOD] = c.http.method;
    attributes[HttpAttr.URL_FULL] = c.http.url;
    attributes[HttpAttr.RESPONSE_STATUS_CODE] = c.http.statusCode;
  }
  return attributes;
}

/**
 * Recognises the agent's own export connections, which must not be reported (each export would become a connection
 * record, exported in turn). With an address literal in the URL the address and port must match; with a name, the
 * port alone decides, since the socket only knows the resolved address.
 */
function exportDestination(url: URL): (address: string | undefined, port: number | undefined) => boolean {
  const port = Number(url.port !== '' ? url.port : url.protocol === 'https:' ? 443 : 80);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host) !== 0;
  return (address, destinationPort) =>
    destinationPort === port && (!literal || address === host || address === `::ffff:${host}`);
}

/**
 * The chain inside the OpenTelemetry JS SDK, in a process of its own: what `ChainLogRecordProcessor` costs an
 * application that logs through the SDK. The first `LINES` requests of the replay file (1,000 records each, decoded
 * once with `decodeLogsJson` before anything is timed) are emitted through SDK loggers, one request per turn of the
 * event loop (an application logs in bursts between I/O; the batch processor and the chain do their work between
 * them), in two set-ups:
 *
 * - *SDK alone* (baseline): `LoggerProvider` → `BatchLogRecordProcessor` → an exporter that serializes each batch
 *   with `ProtobufLogsSerializer` from `@opentelemetry/otlp-transformer` (the serializer the SDK's OTLP/protobuf
 *   exporter uses; the version the otlp package pins) and discards the bytes, so no network is timed.
 * - *SDK with the chain*: the same, with `ChainLogRecordProcessor` in front of the `BatchLogRecordProcessor`. The
 *   chain is the SDK agent's: process attribution, HTTP flow aggregation, novelty filter, ratio detector, each
 *   built from its entry in the CLI's default configuration (`defaultConfigYaml()`, so the flow aggregator's
 *   interim updates are on and connection records pass on), added with the adapter's `stages` option so that what a
 *   stage emits later reaches the batch processor at once.
 *
 * Resources: the SDK gives every record its provider's resource, and the chain keys its state by `host.name` of the
 * resource (`hostName()` in the schema package), so each host of the input gets a provider of its own with that
 * host's resource (the first one the file gives for it; the generator gives a host the same attributes every time)
 * and one logger per instrumentation scope. All providers share one processor chain, as a gateway process feeding
 * many hosts' records into one SDK pipeline would: the exporter receives the records grouped by their own
 * resources, exactly as the input carries them. Each record is emitted with its own event name, attributes, times,
 * body and severity.
 *
 * A pass emits every record, then `forceFlush()` and `shutdown()` (the chain closes its windows and everything is
 * exported); a pass's time runs from the first emit to the end of shutdown, and each pass starts from fresh
 * processors (empty state, as a replay without a state directory). The batch processor's queue is made larger than
 * everything a pass can put in it, and every pass checks what reached the exporter against what was handed to the
 * batch processor: a pass that loses records says so (`batchProcessorDropped`), as does a chain that dropped or
 * lost any (`chainDropped`, `chainLost`).
 *
 * After a warm-up pass of each, `ROUNDS` rounds run both set-ups, the order alternating; a figure is the median
 * round, the ratio the median of the per-round ratios chain / alone. Prints one line `BENCH_CASE {json}` on stdout.
 *
 *   node --experimental-strip-types --conditions=egressguard-source --expose-gc bench/sdk-case.ts [FILE] [LINES]
 *
 * FILE defaults to the root benchmark's cached input (`bench/generate.ts` on its defaults), LINES to 50.
 */
import { ChainLogRecordProcessor, setErrorHandler } from '@egressguard/core';
import { decodeLogsJson } from '@egressguard/otlp';
import { hostName, type PipelineRecord } from '@egressguard/schema';
import type { Logger } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { Resource } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordExporter,
  type LogRecordProcessor,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';

import { defaultChainConfig, median, readFirstLines } from './case-support.ts';
import { GENERATE_DEFAULTS, defaultReplayFile } from './generate.ts';

/** One figure of the SDK case. */
export interface SdkFigure {
  readonly name: string;
  /** Median over the rounds of records emitted per second, first emit to the end of shutdown. */
  readonly recordsPerSecond: number;
  /** Every round's records/s, in order. */
  readonly rounds: readonly number[];
  /** Records that reached the exporter in one pass. */
  readonly recordsOut: number;
  /** Protobuf bytes the exporter serialized in one pass. */
  readonly bytesOut: number;
}

/** What the SDK case measured. */
export interface SdkCaseResult {
  readonly requests: number;
  /** Records emitted per pass. */
  readonly records: number;
  /** Hosts, hence providers. */
  readonly hosts: number;
  readonly rounds: number;
  readonly figures: readonly SdkFigure[];
  /** Median of the per-round ratios of records/s, SDK with the chain / SDK alone (1 = free). */
  readonly ratio: number;
  /** Every round's ratio, in order. */
  readonly ratioRounds: readonly number[];
  /** Records the adapter dropped before the chain (its buffer full), over every pass. */
  readonly chainDropped: number;
  /** Records a stage of the chain lost (neither passed on, dropped with a counted reason nor held), every pass. */
  readonly chainLost: number;
  /** Records handed to the batch processor that never reached the exporter, every pass of either set-up. */
  readonly batchProcessorDropped: number;
  /** Problems reported through the error handler during the whole run. */
  readonly reports: number;
}

const file = process.argv[2] ?? defaultReplayFile(GENERATE_DEFAULTS);
const LINES = Number(process.argv[3] ?? 50);
const ROUNDS = 3;
if (!(LINES >= 1)) throw new Error('usage: sdk-case.ts [FILE] [LINES]');

const requests: PipelineRecord[][] = (await readFirstLines(file, LINES)).map(
  (l) => decodeLogsJson(l).records,
);
const records = requests.reduce((n, r) => n + r.length, 0);
const hostResources = new Map<string, Resource>();
for (const request of requests) {
  for (const record of request) {
    const host = hostName(record) ?? '';
    if (!hostResources.has(host)) hostResources.set(host, record.resource);
  }
}

let reports = 0;
setErrorHandler(() => {
  reports++;
});
const config = defaultChainConfig();
/** The SDK agent's stages, in its order. */
const CHAIN_STAGES = ['process_attribution', 'http_flow_aggregator', 'novelty_filter', 'ratio_detector'];

/** Serializes every batch as the OTLP/protobuf exporter would and discards the bytes. */
class SerializingExporter implements LogRecordExporter {
  records = 0;
  bytes = 0;

  export(logs: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    this.records += logs.length;
    this.bytes += ProtobufLogsSerializer.serializeRequest(logs)?.length ?? 0;
    resultCallback({ code: ExportResultCode.SUCCESS });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

interface PassResult {
  readonly recordsPerSecond: number;
  readonly recordsOut: number;
  readonly bytesOut: number;
}

let chainDropped = 0;
let chainLost = 0;
let batchProcessorDropped = 0;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One pass over every request through fresh providers and processors. */
async function pass(withChain: boolean): Promise<PassResult> {
  const exporter = new SerializingExporter();
  // Larger than anything a pass can queue (the chain adds flow and detection records to the connections it passes).
  const batch = new BatchLogRecordProcessor({ exporter, maxQueueSize: 4 * records + 10_000 });
  let handed = 0;
  const counted: LogRecordProcessor = {
    onEmit: (record) => {
      handed++;
      batch.onEmit(record);
    },
    forceFlush: () => batch.forceFlush(),
    shutdown: () => batch.shutdown(),
  };
  const chain = withChain
    ? new ChainLogRecordProcessor({
        stages: (pipeline) => {
          for (const id of CHAIN_STAGES) {
            const processor = config.processors.get(id)!;
            pipeline.addStage(id, (emit) =>
              processor.factory.create(processor.config, { id, now: Date.now, emit }),
            );
          }
        },
        next: counted,
      })
    : undefined;
  const head = chain ?? counted;
  const providers = new Map<string, LoggerProvider>();
  for (const [host, resource] of hostResources) {
    providers.set(host, new LoggerProvider({ resource, processors: [head] }));
  }
  const loggers = new Map<string, Logger>();
  const loggerOf = (record: PipelineRecord): Logger => {
    const host = hostName(record) ?? '';
    const scope = record.instrumentationScope;
    const key = `${host}\u0000${scope.name}\u0000${scope.version ?? ''}`;
    let logger = loggers.get(key);
    if (logger === undefined) {
      logger = providers.get(host)!.getLogger(scope.name, scope.version);
      loggers.set(key, logger);
    }
    return logger;
  };
  // Loggers exist before timing starts: getting one is set-up, not logging.
  for (const request of requests) for (const record of request) loggerOf(record);

  globalThis.gc?.();
  const start = performance.now();
  for (const request of requests) {
    for (const record of request) {
      loggerOf(record).emit({
        ...(record.eventName !== undefined ? { eventName: record.eventName } : {}),
        ...(record.severityNumber !== undefined ? { severityNumber: record.severityNumber } : {}),
        ...(record.severityText !== undefined ? { severityText: record.severityText } : {}),
        timestamp: record.hrTime,
        observedTimestamp: record.hrTimeObserved,
        body: record.body,
        attributes: record.attributes,
      });
    }
    await turn();
  }
  const first = providers.values().next().value!;
  await first.forceFlush();
  await Promise.all([...providers.values()].map((p) => p.shutdown()));
  const elapsed = performance.now() - start;

  batchProcessorDropped += handed - exporter.records;
  if (chain) {
    for (const b of Object.values(chain.balance())) chainLost += b.lost;
    chainDropped += chain.intakeBalance().dropped;
  }
  return {
    recordsPerSecond: (records * 1000) / elapsed,
    recordsOut: exporter.records,
    bytesOut: exporter.bytes,
  };
}

const NAMES = ['SDK alone (BatchLogRecordProcessor, OTLP/protobuf)', 'SDK with the chain'] as const;

// Warm-up (JIT) of both, then interleaved rounds, the order alternating.
await pass(false);
await pass(true);
chainDropped = 0;
chainLost = 0;
batchProcessorDropped = 0;
const results: [PassResult[], PassResult[]] = [[], []];
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? [false, true] : [true, false];
  for (const withChain of order) results[withChain ? 1 : 0].push(await pass(withChain));
}

const ratioRounds = results[0].map((alone, i) => results[1][i].recordsPerSecond / alone.recordsPerSecond);

const result: SdkCaseResult = {
  requests: requests.length,
  records,
  hosts: hostResources.size,
  rounds: ROUNDS,
  figures: results.map((passes, i) => ({
    name: NAMES[i],
    recordsPerSecond: median(passes.map((p) => p.recordsPerSecond)),
    rounds: passes.map((p) => p.recordsPerSecond),
    recordsOut: passes[passes.length - 1].recordsOut,
    bytesOut: passes[passes.length - 1].bytesOut,
  })),
  ratio: median(ratioRounds),
  ratioRounds,
  chainDropped,
  chainLost,
  batchProcessorDropped,
  reports,
};
if (chainDropped + chainLost + batchProcessorDropped > 0) {
  console.error(
    `sdk-case: records went missing: ${chainDropped} dropped by the adapter, ${chainLost} lost by a stage, ` +
      `${batchProcessorDropped} dropped by the batch processor; the figures do not compare like with like`,
  );
}
console.log(`BENCH_CASE ${JSON.stringify(result)}`);

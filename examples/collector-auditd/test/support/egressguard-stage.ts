/**
 * Playing the Collector's part around a real `egressguard run`: the child process on loopback ports, a results
 * receiver (the Collector's otlp receiver) that keeps what egressguard exports, and the records the filelog receiver
 * makes of raw log lines, sent with the OpenTelemetry OTLP/protobuf exporter. Used by the tests of both Collector
 * examples.
 */
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';

import { ResourceAttr } from '@egressguard/schema';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';

import {
  startRun,
  startSink,
  type RunningService,
  type Sink,
} from '../../../../packages/cli/test/support/run-service.ts';
import { REPO_ROOT } from '../../../../packages/cli/test/support/cli.ts';

/** A running `egressguard run` (the CLI tests' helper). */
export type RunningEgressguard = RunningService;

/**
 * Starts `egressguard run --config FILE` with the given environment (the example's ports come from it); resolves
 * once it prints where its `otlp` receiver listens. The caller owns the child.
 */
export function startEgressguard(
  configFile: string,
  env: Record<string, string>,
): Promise<RunningEgressguard> {
  return startRun(configFile, { env, listen: null });
}

/**
 * Starts an example's own `egressguard.yaml` the way both Collector examples run it: the `otlp` receiver on a free
 * port, exporting to `results`, state under `dir`.
 */
export function startExample(
  exampleDir: string,
  dir: string,
  results: ResultsReceiver,
): Promise<RunningEgressguard> {
  return startEgressguard(resolve(exampleDir, 'egressguard.yaml'), {
    EGRESSGUARD_OTLP_PORT: '0',
    EGRESSGUARD_RESULTS_PORT: String(results.port),
    EGRESSGUARD_STATE_DIR: join(dir, 'state'),
  });
}

/** The recorded audit log both Collector examples feed egressguard (the failing-implant scenario). */
export const AUDIT_LOG = resolve(REPO_ROOT, 'test', 'scenarios', 'failing-implant', 'auditd.log');
/** The implant of that scenario. */
export const IMPLANT = '/tmp/.ssh-agent-cache/ssh-agent';

/** SIGTERM (egressguard flushes open windows and exports its queue), then the exit code must be 0. */
export async function stopEgressguard(run: RunningEgressguard): Promise<void> {
  run.child.kill('SIGTERM');
  const exit = await run.done;
  assert.equal(exit.code, 0, exit.stderr);
}

/** The Collector's otlp/egressguard-results receiver: an OTLP/HTTP server that keeps what egressguard exports. */
export type ResultsReceiver = Sink;

/** Starts a {@link ResultsReceiver}. */
export const startResultsReceiver: () => Promise<ResultsReceiver> = startSink;

/**
 * What the filelog receiver (no operators, `include_file_name: true`) followed by the resourcedetection processor
 * makes of raw lines: one record per line, the line as body, `log.file.name`, no timestamp (normalize reads the
 * sensor's own), the host on the resource, a scope without a name.
 */
export function fileLogRecords(
  lines: readonly string[],
  host: string,
  fileName: string,
): ReadableLogRecord[] {
  const resource = resourceFromAttributes({ [ResourceAttr.HOST_NAME]: host, 'os.type': 'linux' });
  const scope = { name: '' };
  const observedMs = Date.now();
  return lines.map((line) => ({
    hrTime: [0, 0],
    hrTimeObserved: [Math.floor(observedMs / 1000), (observedMs % 1000) * 1e6],
    body: line,
    attributes: { 'log.file.name': fileName },
    droppedAttributesCount: 0,
    resource,
    instrumentationScope: scope,
  }));
}

/**
 * Sends records as the Collector's `otlphttp` exporter with `encoding: proto` and `compression: gzip` does, in
 * batches of `batchSize`; each batch must be accepted.
 */
export async function sendAsCollector(
  url: string,
  records: ReadableLogRecord[],
  batchSize: number,
): Promise<void> {
  const exporter = new OTLPLogExporter({ url, compression: CompressionAlgorithm.GZIP });
  try {
    for (let i = 0; i < records.length; i += batchSize) {
      const result = await new Promise<{ code: ExportResultCode; error?: Error }>((resolve) =>
        exporter.export(records.slice(i, i + batchSize), resolve),
      );
      assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
    }
  } finally {
    await exporter.shutdown();
  }
}

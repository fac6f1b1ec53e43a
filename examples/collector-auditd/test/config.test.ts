/**
 * The Collector configuration (otelcol.yaml) against egressguard's (egressguard.yaml): the Collector sends what
 * egressguard's receiver accepts, to where it listens, and egressguard's output reaches the Collector's results
 * receiver. Both files are read as they are shipped; `egressguard validate` runs as a real child process.
 */
import assert from 'node:assert/strict';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { collect, startCli } from '../../../packages/cli/test/support/cli.ts';
import {
  exporterMatchesReceiver,
  exporterOptions,
  loadCollectorConfig,
  loadEgressguardConfig,
  pipelineProblems,
  pipelinesUsing,
  receiverEndpoint,
  receiverMatchesExporter,
  type Options,
} from './support/collector-config.ts';

const EXAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OTELCOL = resolve(EXAMPLE, 'otelcol.yaml');
const EGRESSGUARD = resolve(EXAMPLE, 'egressguard.yaml');

describe('collector-auditd: otelcol.yaml against egressguard.yaml', () => {
  const otelcol = loadCollectorConfig(OTELCOL);
  const egressguard = loadEgressguardConfig(EGRESSGUARD);

  it('has no pipeline naming an undefined component and no unused component', () => {
    assert.deepEqual(pipelineProblems(otelcol), []);
  });

  it('sends to the address, path, encoding and compression egressguard receives', () => {
    const exporter = otelcol.exporters['otlphttp/egressguard'];
    assert.ok(exporter, 'otelcol.yaml defines exporters.otlphttp/egressguard');
    assert.deepEqual(exporterMatchesReceiver(exporter, receiverEndpoint(egressguard)), []);
    assert.equal(receiverEndpoint(egressguard), '127.0.0.1:4318', 'egressguard listens on loopback only');
  });

  it('takes egressguard’s output back on the receiver egressguard exports to, in its own pipeline', () => {
    const receiver = otelcol.receivers['otlp/egressguard-results'];
    assert.ok(receiver, 'otelcol.yaml defines receivers.otlp/egressguard-results');
    assert.deepEqual(receiverMatchesExporter(receiver, exporterOptions(egressguard)), []);
    const results = pipelinesUsing(otelcol, 'receivers', 'otlp/egressguard-results');
    assert.equal(results.length, 1);
    // A results pipeline that exported to egressguard again would loop every record forever.
    assert.deepEqual(pipelinesUsing(otelcol, 'exporters', 'otlphttp/egressguard'), ['logs/auditd']);
    assert.ok(!results.includes('logs/auditd'));
  });

  it('reads auditd lines raw, as normalize expects, keeps its offsets, and puts host.name on the resource', () => {
    const filelog = otelcol.receivers['filelog/auditd']!;
    assert.deepEqual(filelog.include, ['/var/log/audit/audit.log', '/var/log/audit/audit.log.1']);
    // Offsets in file_storage: a restarted Collector neither re-sends lines nor skips those written meanwhile.
    assert.equal(filelog.storage, 'file_storage');
    assert.ok(otelcol.extensions?.file_storage, 'otelcol.yaml defines extensions.file_storage');
    assert.deepEqual(otelcol.service.extensions, ['file_storage']);
    // No operators: the body stays the raw line, which the normalize stage parses (format auditd).
    assert.equal(filelog.operators, undefined);
    const normalize = egressguard.processors.get('normalize');
    assert.ok(normalize, 'egressguard.yaml runs normalize');
    assert.ok(['auditd', 'auto'].includes((normalize.config as { format: string }).format));
    assert.equal(egressguard.pipelines[0].processors[0], 'normalize', 'normalize runs first');
    // egressguard keeps all state per host: the resource must name the host before export.
    assert.ok(
      'host.name' in ((filelog.resource as Options | undefined) ?? {}),
      'filelog sets resource host.name',
    );
  });

  it('passes `egressguard validate`', async () => {
    const child = startCli(['validate', EGRESSGUARD]);
    child.stdin.end();
    const result = await collect(child);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /valid \(1 pipeline\(s\), 6 processor stage\(s\)/);
  });
});

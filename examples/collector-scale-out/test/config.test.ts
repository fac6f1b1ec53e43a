/**
 * The scale-out files against each other and against egressguard.yaml: the gateway routes logs by resource (or by
 * host.name) to the sidecars' gRPC receivers, each sidecar hands them to egressguard's OTLP/HTTP receiver in a form
 * it accepts and takes egressguard's output back. `egressguard validate` runs as a real child process.
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
} from '../../collector-auditd/test/support/collector-config.ts';

const EXAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EGRESSGUARD = resolve(EXAMPLE, 'egressguard.yaml');

/** The port of `host:port`. */
function portOf(hostPort: string): string {
  return hostPort.slice(hostPort.lastIndexOf(':') + 1);
}

describe('collector-scale-out: gateway, sidecar and egressguard.yaml', () => {
  const gateway = loadCollectorConfig(resolve(EXAMPLE, 'otelcol-gateway.yaml'));
  const sidecar = loadCollectorConfig(resolve(EXAMPLE, 'otelcol-sidecar.yaml'));
  const egressguard = loadEgressguardConfig(EGRESSGUARD);

  it('has no pipeline naming an undefined component and no unused component, in either Collector', () => {
    assert.deepEqual(pipelineProblems(gateway), []);
    assert.deepEqual(pipelineProblems(sidecar), []);
  });

  it('routes every record of one host to one backend', () => {
    // `load_balancing` since Collector v0.154, `loadbalancing` (a deprecated alias now) before.
    const ids = Object.keys(gateway.exporters).filter((id) => /^load_?balancing(\/|$)/.test(id));
    assert.equal(ids.length, 1, 'the gateway has one load-balancing exporter');
    assert.ok(pipelinesUsing(gateway, 'exporters', ids[0]).length > 0);
    const lb = gateway.exporters[ids[0]]!;
    const routedByHost =
      lb.routing_key === 'resource' ||
      (lb.routing_key === 'attributes' && (lb.routing_attributes as string[]).includes('host.name'));
    // The exporter's default for logs is `service` (service.name), which would split a host across backends.
    assert.ok(routedByHost, `routing_key ${String(lb.routing_key)} keeps a host on one backend`);
    assert.ok((lb.protocol as Options).otlp, 'the load-balancing exporter speaks OTLP/gRPC to the sidecars');
  });

  it('sends to the port the sidecar receives gRPC on', () => {
    const lb = Object.entries(gateway.exporters).find(([id]) => /^load_?balancing/.test(id))![1]!;
    const hostnames = ((lb.resolver as Options).static as Options).hostnames as string[];
    assert.ok(hostnames.length >= 2, 'several egressguard instances');
    const grpc = ((sidecar.receivers['otlp/from-gateway']!.protocols as Options).grpc as Options)
      .endpoint as string;
    for (const h of hostnames)
      assert.equal(portOf(h), portOf(grpc), `${h} reaches the sidecar's gRPC receiver`);
  });

  it('hands egressguard OTLP/HTTP it accepts, where it listens, and takes its output back', () => {
    const toEgressguard = sidecar.exporters['otlphttp/egressguard'];
    assert.ok(toEgressguard, 'the sidecar defines exporters.otlphttp/egressguard');
    assert.deepEqual(exporterMatchesReceiver(toEgressguard, receiverEndpoint(egressguard)), []);
    assert.deepEqual(pipelinesUsing(sidecar, 'receivers', 'otlp/from-gateway'), ['logs/to-egressguard']);
    const results = sidecar.receivers['otlp/egressguard-results']!;
    assert.deepEqual(receiverMatchesExporter(results, exporterOptions(egressguard)), []);
    // egressguard's output must not go back into egressguard.
    assert.ok(
      !pipelinesUsing(sidecar, 'receivers', 'otlp/egressguard-results').includes('logs/to-egressguard'),
    );
  });

  it('passes `egressguard validate`', async () => {
    const child = startCli(['validate', EGRESSGUARD]);
    child.stdin.end();
    const result = await collect(child);
    assert.equal(result.code, 0, result.stderr);
  });
});

/**
 * The scale-out files against each other: the gateway routes logs by resource (or by host.name) straight to the
 * egressguard instances' OTLP/gRPC receivers, and each instance sends its output back to the gateway's results
 * receiver. `egressguard validate` runs as a real child process; the real Collector validates the gateway in
 * `test/collector-configs.test.ts`.
 */
import assert from 'node:assert/strict';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import type { OtlpGrpcExporterConfig, OtlpReceiverConfig } from '@egressguard/cli';

import { collect, startCli } from '../../../packages/cli/test/support/cli.ts';
import {
  loadCollectorConfig,
  loadEgressguardConfig,
  pipelineProblems,
  pipelinesUsing,
  type Options,
} from '../../collector-auditd/test/support/collector-config.ts';

const EXAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EGRESSGUARD = resolve(EXAMPLE, 'egressguard.yaml');

/** The port of `host:port`. */
function portOf(hostPort: string): string {
  return hostPort.slice(hostPort.lastIndexOf(':') + 1);
}

/** `${env:NAME:-default}` at its default, as the Collector resolves it with the variable unset. */
function atDefault(value: string): string {
  return value.replace(/\$\{env:[A-Z0-9_]+:-([^}]*)\}/g, '$1');
}

describe('collector-scale-out: gateway and egressguard.yaml', () => {
  const gateway = loadCollectorConfig(resolve(EXAMPLE, 'otelcol-gateway.yaml'));
  const egressguard = loadEgressguardConfig(EGRESSGUARD);
  const lbId = Object.keys(gateway.exporters).find((id) => /^load_?balancing(\/|$)/.test(id));

  it('has no pipeline naming an undefined component and no unused component', () => {
    assert.deepEqual(pipelineProblems(gateway), []);
  });

  it('routes every record of one host to one instance', () => {
    assert.ok(lbId, 'the gateway has a load-balancing exporter');
    assert.ok(pipelinesUsing(gateway, 'exporters', lbId).length > 0);
    const lb = gateway.exporters[lbId]!;
    const routedByHost =
      lb.routing_key === 'resource' ||
      (lb.routing_key === 'attributes' && (lb.routing_attributes as string[]).includes('host.name'));
    // The exporter's default for logs is `service` (service.name), which would split a host across instances.
    assert.ok(routedByHost, `routing_key ${String(lb.routing_key)} keeps a host on one instance`);
    assert.ok((lb.protocol as Options).otlp, 'the load-balancing exporter speaks OTLP/gRPC');
  });

  it('sends to the port egressguard receives gRPC on, and egressguard sends back to the results receiver', () => {
    const lb = gateway.exporters[lbId!]!;
    const hostnames = ((lb.resolver as Options).static as Options).hostnames as string[];
    assert.ok(hostnames.length >= 2, 'several egressguard instances');
    const grpc = (egressguard.receivers.get('otlp')!.config as OtlpReceiverConfig).protocols.grpc;
    assert.ok(grpc, 'egressguard serves OTLP/gRPC');
    for (const h of hostnames)
      assert.equal(portOf(atDefault(h)), portOf(grpc.endpoint), `${h} reaches egressguard's gRPC receiver`);

    const out = egressguard.exporters.get('otlp')!.config as OtlpGrpcExporterConfig;
    const results = ((gateway.receivers['otlp/egressguard-results']!.protocols as Options).grpc as Options)
      .endpoint as string;
    assert.equal(portOf(out.endpoint!), portOf(atDefault(results)));
    // egressguard's output must not go back into the load balancer.
    assert.ok(!pipelinesUsing(gateway, 'receivers', 'otlp/egressguard-results').includes('logs'));
  });

  it('passes `egressguard validate`', async () => {
    const child = startCli(['validate', EGRESSGUARD]);
    child.stdin.end();
    const result = await collect(child);
    assert.equal(result.code, 0, result.stderr);
  });
});

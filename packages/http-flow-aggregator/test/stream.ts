/** A seeded stream of connection records, and how tests run it and compare outputs. */
import type { Processor } from '@egressguard/core';
import { makeConnection } from '@egressguard/core/testing';
import {
  ConnectionAttr,
  HttpAttr,
  NetworkAttr,
  ProcessAttr,
  ProvenanceAttr,
  hrTimeToMs,
  type PipelineRecord,
  type RecordAttributes,
} from '@egressguard/schema';

export const T = 1_764_460_800_000;

/** Records as the chain downstream sees them, without the observed time (the wall clock at emission). */
export function comparable(records: PipelineRecord[]): unknown[] {
  return records.map((r) => ({
    eventName: r.eventName,
    time: hrTimeToMs(r.hrTime),
    resource: r.resource.attributes,
    attributes: r.attributes,
  }));
}

/** A seeded generator, so the "random" streams are the same on every run. */
export function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * A stream of three hosts and a dozen processes over 40 minutes: mostly in order with a few seconds of jitter, a
 * few percent of records 20 to 120 s late, some without bytes or outcome, some non-HTTP, internal and external
 * destinations.
 */
export function stream(n: number, seed = 1): PipelineRecord[] {
  const rnd = seeded(seed);
  const exes = [
    '/usr/bin/curl',
    '/usr/bin/apt-get',
    '/tmp/.x/kworkerd',
    '/opt/agent/bin/agent',
    '/usr/bin/python3',
    undefined,
  ];
  const hosts = ['web-1', 'db-1', 'build-1'];
  const records: PipelineRecord[] = [];
  for (let i = 0; i < n; i++) {
    let t = T + Math.floor((i / n) * 2_400_000) + Math.floor(rnd() * 8_000);
    if (rnd() < 0.04) t -= 20_000 + Math.floor(rnd() * 100_000);
    const exe = exes[Math.floor(rnd() * exes.length)];
    const attrs: RecordAttributes = {
      [ProcessAttr.PID]: 1000 + Math.floor(rnd() * 40),
      [NetworkAttr.DESTINATION_ADDRESS]:
        rnd() < 0.3
          ? `10.0.${Math.floor(rnd() * 3)}.${Math.floor(rnd() * 5)}`
          : `203.0.113.${Math.floor(rnd() * 25)}`,
      [NetworkAttr.DESTINATION_PORT]: rnd() < 0.05 ? 22 : rnd() < 0.6 ? 443 : 80,
    };
    if (exe) attrs[ProcessAttr.EXECUTABLE_PATH] = exe;
    const r = rnd();
    if (r < 0.7) attrs[ConnectionAttr.OUTCOME] = 'completed';
    else if (r < 0.9) attrs[ConnectionAttr.OUTCOME] = 'failed';
    if (rnd() < 0.8) {
      attrs[ConnectionAttr.BYTES_SENT] = Math.floor(rnd() * 2_000);
      attrs[ConnectionAttr.BYTES_RECEIVED] = Math.floor(rnd() * 50_000);
      attrs[ProvenanceAttr.BYTES_KIND] = 'acked';
    }
    if (rnd() < 0.1) attrs[HttpAttr.REQUEST_METHOD] = 'GET';
    records.push(makeConnection(attrs, { timeMs: t, host: hosts[Math.floor(rnd() * hosts.length)] }));
  }
  return records;
}

export async function run(
  p: Processor,
  records: PipelineRecord[],
  batchSize: number,
): Promise<PipelineRecord[]> {
  const out: PipelineRecord[] = [];
  for (let i = 0; i < records.length; i += batchSize)
    out.push(...(await p.process(records.slice(i, i + batchSize))));
  return out;
}

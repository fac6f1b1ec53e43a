/**
 * Throughput of the parsers and the normalize processor, printed as ratios against baselines measured in the same
 * run (the cheapest possible per-line work on the same input: a regex match for text lines, JSON.parse for JSON
 * lines), so that the figures compare across machines. Run: `npm run bench -w @egressguard/normalize`.
 */
import { performance } from 'node:perf_hooks';

import { PipelineRecord, ResourceAttr, createResource } from '@egressguard/schema';

import { auditdFormat } from '../src/formats/auditd.ts';
import { tetragonFormat } from '../src/formats/tetragon.ts';
import { normalizeFactory } from '../src/index.ts';

const EVENTS = 20_000;
const T = 1764460800;

function auditLines(): string[] {
  const lines: string[] = [];
  // Two events interleaved at a time, as two CPUs logging at once.
  for (let s = 0; s < EVENTS; s += 2) {
    const a = s + 1;
    const b = s + 2;
    const sys = (n: number) =>
      `type=SYSCALL msg=audit(${T + Math.floor(n / 1000)}.${String(n % 1000).padStart(3, '0')}:${n}): arch=c000003e syscall=42 success=no exit=-115 a0=3 a1=7ffd1c2e5a40 a2=10 a3=0 items=0 ppid=812 pid=${4000 + (n % 50)} auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=(none) ses=3 comm="kworkerd" exe="/tmp/.x/kworkerd" key="egress"`;
    const ts = (n: number) => `${T + Math.floor(n / 1000)}.${String(n % 1000).padStart(3, '0')}:${n}`;
    lines.push(sys(a), sys(b));
    lines.push(
      `type=SOCKADDR msg=audit(${ts(a)}): saddr=020000505DB8D8220000000000000000`,
      `type=SOCKADDR msg=audit(${ts(b)}): saddr=020001BBC00002070000000000000000`,
    );
    lines.push(
      `type=PROCTITLE msg=audit(${ts(a)}): proctitle=2F746D702F2E782F6B776F726B6572640062656163`,
      `type=EOE msg=audit(${ts(a)}): `,
    );
    lines.push(
      `type=PROCTITLE msg=audit(${ts(b)}): proctitle=2F746D702F2E782F6B776F726B6572640062656163`,
      `type=EOE msg=audit(${ts(b)}): `,
    );
  }
  return lines;
}

function tetragonLines(): string[] {
  const lines: string[] = [];
  const proc = {
    exec_id: 'ZXhlYzox',
    pid: 4242,
    uid: 1000,
    binary: '/tmp/.x/kworkerd',
    arguments: '--beacon',
    start_time: '2025-11-30T00:00:00Z',
  };
  for (let i = 0; i < EVENTS / 2; i++) {
    const sock = {
      family: 'AF_INET',
      type: 'SOCK_STREAM',
      protocol: 'IPPROTO_TCP',
      saddr: '10.0.0.5',
      daddr: '93.184.216.34',
      sport: 30000 + (i % 30000),
      dport: 80,
      cookie: String(1000 + i),
      state: 'TCP_SYN_SENT',
    };
    const t = new Date((T + i) * 1000).toISOString();
    lines.push(
      JSON.stringify({
        process_kprobe: { process: proc, function_name: 'tcp_connect', args: [{ sock_arg: sock }] },
        node_name: 'n',
        time: t,
      }),
    );
    lines.push(
      JSON.stringify({
        process_kprobe: {
          process: proc,
          function_name: 'tcp_close',
          args: [{ sock_arg: { ...sock, state: 'TCP_ESTABLISHED' } }],
        },
        node_name: 'n',
        time: t,
      }),
    );
  }
  return lines;
}

function time(label: string, run: () => number): number {
  run();
  const start = performance.now();
  let produced = 0;
  for (let i = 0; i < 3; i++) produced += run();
  const ms = (performance.now() - start) / 3;
  console.log(`${label.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms  (${Math.round(produced / 3)} out)`);
  return ms;
}

async function timeAsync(label: string, run: () => Promise<number>): Promise<number> {
  await run();
  const start = performance.now();
  let produced = 0;
  for (let i = 0; i < 3; i++) produced += await run();
  const ms = (performance.now() - start) / 3;
  console.log(`${label.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms  (${Math.round(produced / 3)} out)`);
  return ms;
}

const resource = createResource({ [ResourceAttr.HOST_NAME]: 'bench' });
const options = { defaultResource: resource, resourceFor: () => resource };
const audit = auditLines();
const tetra = tetragonLines();
const header = /^type=(\S+) msg=audit\((\d+)\.(\d+):(\d+)\)/;

console.log(`auditd: ${audit.length} lines (${EVENTS} events); tetragon: ${tetra.length} lines`);
const auditBase = time(
  'baseline: regex match per auditd line',
  () => audit.filter((l) => header.test(l)).length,
);
const auditParse = time('auditd parser', () => {
  const p = auditdFormat.createParser(options);
  let n = 0;
  audit.forEach((l, i) => (n += p.push(l, i + 1).records.length));
  return n + p.end().records.length;
});
const jsonBase = time(
  'baseline: JSON.parse per tetragon line',
  () => tetra.map((l) => JSON.parse(l) as unknown).length,
);
const tetraParse = time('tetragon parser', () => {
  const p = tetragonFormat.createParser(options);
  let n = 0;
  tetra.forEach((l, i) => (n += p.push(l, i + 1).records.length));
  return n + p.end().records.length;
});
const processorMs = await timeAsync('normalize processor, auditd, batches of 1000', async () => {
  const p = normalizeFactory.create(normalizeFactory.config.parse({}), { id: 'bench', now: () => 0 });
  let n = 0;
  for (let i = 0; i < audit.length; i += 1000) {
    const batch = audit
      .slice(i, i + 1000)
      .map((body) => new PipelineRecord({ body, resource, instrumentationScope: { name: 'bench' } }));
    n += (await p.process(batch)).length;
  }
  return n + (await p.shutdown()).length;
});
console.log('');
console.log(`auditd parser / regex baseline:     ${(auditParse / auditBase).toFixed(1)}x`);
console.log(`tetragon parser / JSON.parse:       ${(tetraParse / jsonBase).toFixed(1)}x`);
console.log(
  `processor / auditd parser:          ${(processorMs / auditParse).toFixed(1)}x (record wrapping, recognition, per-stream parsers)`,
);

/**
 * One hostile line must never hang, crash or swell the reader. Each case runs in a child process with a small heap
 * and a generous time limit, so that a regression fails the test (killed, or out of memory) instead of hanging the
 * suite or exhausting the machine.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

const dir = mkdtempSync(path.join(tmpdir(), 'egressguard-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SRC = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'src');
/** Far more than any case needs (milliseconds to a few seconds), far less than the defects took (minutes, forever). */
const LIMIT_MS = 60_000;

/** Runs `body` (an async function body with `src` bound to the package's source URL) in a child; returns its JSON. */
function inChild(body: string, heapMb: number): unknown {
  const code = `const src = ${JSON.stringify(pathToFileURL(SRC).href)};\n(async () => {\n${body}\n})().then((r) => process.stdout.write(JSON.stringify(r)));`;
  const r = spawnSync(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      '--conditions=egressguard-source',
      `--max-old-space-size=${heapMb}`,
      '--input-type=module',
      '-e',
      code,
    ],
    { encoding: 'utf8', timeout: LIMIT_MS, killSignal: 'SIGKILL', maxBuffer: 1 << 20 },
  );
  assert.ifError(r.error);
  assert.equal(r.signal, null, `killed by ${r.signal} (limit ${LIMIT_MS} ms): ${r.stderr.slice(-400)}`);
  assert.equal(r.status, 0, r.stderr.slice(-1000));
  return JSON.parse(r.stdout);
}

describe('hostile input', () => {
  it('memory stays bounded on a line of concatenated JSON objects (the framer hands them out one by one)', () => {
    // 24 MB of `{}`: 12 million objects. Framed into one array they took ~75 times the line (1.8 GB); the child has
    // a 160 MB heap, enough for the line and the bounded work on it.
    const file = path.join(dir, 'objects.json');
    writeFileSync(file, `${'{}'.repeat(12_000_000)}\n{"ts": 1}\n`);
    const summary = inChild(
      `const { readSensorFile } = await import(src + '/reader.ts');
       const reader = readSensorFile(${JSON.stringify(file)}, 'zeek', { host: 'h', maxLineBytes: 64 * 1024 * 1024 });
       let errors = 0;
       for await (const batch of reader) errors += batch.errors.length;
       return { errors, skipped: reader.summary.skipped, lines: reader.summary.lines, counters: reader.summary.parserCounters };`,
      160,
    ) as { errors: number; skipped: Record<string, number>; lines: number; counters: Record<string, number> };
    assert.equal(summary.lines, 2);
    assert.deepEqual(summary.skipped, { too_many_objects: 1 });
    // 1000 objects read (each an object of no Zeek log, counted), the rest of the line skipped once, the next line
    // read.
    assert.equal(summary.errors, 1);
    assert.equal(summary.counters.other_logs_ignored, 1000 + 1);
  });

  it('Sysmon parsing is linear in a line’s tags (no pattern rescans the line from every tag)', () => {
    // 4 MB of `<EventID `: the element pattern rescanned the rest of the line from each of 440,000 tags.
    const result = inChild(
      `const { sysmonFormat } = await import(src + '/formats/sysmon.ts');
       const { createResource } = await import('@egressguard/schema');
       const resource = createResource({ 'host.name': 'h' });
       const parser = sysmonFormat.createParser({ defaultResource: resource, resourceFor: () => resource });
       const out = [];
       for (const body of ['<EventID '.repeat(440_000), '<Data Name="'.repeat(330_000), '<Data Name="a" '.repeat(280_000)])
         out.push(parser.push('<Event><System>' + body + '</Event>', 1));
       return out.map((o) => [o.records.length, o.errors.map((e) => e.reason)]);`,
      256,
    );
    assert.deepEqual(result, [
      [0, ['Sysmon XML has no numeric <EventID>']],
      [0, ['Sysmon XML has no numeric <EventID>']],
      [0, ['Sysmon XML has no numeric <EventID>']],
    ]);
  });

  it('parsing stays linear in long runs of digits and NULs (no pattern that backtracks across a value)', () => {
    // A Zeek JSON number given as a string of 400,000 digits that is not a number, and an auditd PROCTITLE whose
    // 400,000 NULs do not end it: `\d+\.?\d*` and `/\0+$/` retried from every position of the run.
    const digits = `{"ts":1764460800.5,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":40000,"id.resp_h":"198.51.100.7","id.resp_p":80,"proto":"tcp","conn_state":"SF","duration":"${'1'.repeat(400_000)}x"}`;
    const proctitle = `type=PROCTITLE msg=audit(1764460800.101:5001): proctitle=${'00'.repeat(400_000)}41`;
    const file = path.join(dir, 'runs.txt');
    writeFileSync(file, `${digits}\n${proctitle}\n`);
    const result = inChild(
      `const [digits, proctitle] = (await import('node:fs')).readFileSync(${JSON.stringify(file)}, 'utf8').split('\\n');
       const { zeekFormat } = await import(src + '/formats/zeek.ts');
       const { auditdFormat } = await import(src + '/formats/auditd.ts');
       const { createResource } = await import('@egressguard/schema');
       const resource = createResource({ 'host.name': 'h' });
       const options = { defaultResource: resource, resourceFor: () => resource };
       const zeek = zeekFormat.createParser(options);
       zeek.push(digits, 1);
       const auditd = auditdFormat.createParser(options);
       auditd.push(proctitle, 1);
       auditd.push('type=EOE msg=audit(1764460800.101:5001):', 2);
       return [zeek.end().records.length, auditd.end().errors.length];`,
      256,
    );
    assert.deepEqual(result, [1, 0]);
  });

  it('a far-future timestamp in any sensor format is dropped as time_out_of_range, never passed on', () => {
    const files = {
      tcplife: [
        'START_UNIX,PID,COMM,LADDR,LPORT,RADDR,RPORT,TX_B,RX_B,MS,EST',
        '18446744073709551616.000000,4242,implant,10.0.2.15,41822,198.51.100.7,80,89,84,12,1',
      ],
      auditd: [
        'type=SYSCALL msg=audit(18446744073709551616.134:5001): arch=c000003e syscall=42 success=no exit=-115 a0=3 a1=7ffd1c2e5a40 a2=10 a3=0 items=0 ppid=812 pid=4242 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=(none) ses=3 comm="kworkerd" exe="/tmp/.x/kworkerd" key="egress"',
        'type=SOCKADDR msg=audit(18446744073709551616.134:5001): saddr=020000505DB8D8220000000000000000',
        'type=EOE msg=audit(18446744073709551616.134:5001):',
      ],
      zeek: [
        '{"ts":18446744073709551616,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":40000,"id.resp_h":"198.51.100.7","id.resp_p":80,"proto":"tcp","conn_state":"SF","orig_bytes":10,"resp_bytes":20,"duration":0.5}',
      ],
    };
    for (const [format, lines] of Object.entries(files)) {
      const file = path.join(dir, `far-future.${format}`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      const summary = inChild(
        `const { readSensorFile } = await import(src + '/reader.ts');
         const reader = readSensorFile(${JSON.stringify(file)}, 'auto', { host: 'h' });
         let records = 0;
         for await (const batch of reader) records += batch.records.length;
         return { records, skipped: reader.summary.skipped, malformed: reader.summary.malformed };`,
        128,
      ) as { records: number; skipped: Record<string, number>; malformed: number };
      assert.equal(summary.records, 0, format);
      assert.ok(summary.malformed >= 1, `${format}: ${JSON.stringify(summary)}`);
    }
  });
});

/**
 * The auditd receiver on the dispatcher's socket (af_unix plugin, string format): a real UNIX socket served here
 * with audit lines recorded on a Linux host; the receiver reads them, and reconnects when the daemon closes it.
 */
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

import { createResource, type PipelineRecord } from '@egressguard/schema';

import { AuditdReceiver } from '../../src/host-receivers/auditd-receiver.ts';
import { auditdReceiverConfig } from '../../src/host-receivers/config.ts';

const here = dirname(fileURLToPath(import.meta.url));
const RECORDED = join(here, '..', '..', '..', '..', 'test', 'scenarios', 'flood', 'auditd.log');

/** The lines of the first `count` connect events (EINPROGRESS) of the recording, each event whole. */
function connectEvents(count: number): string[][] {
  const lines = readFileSync(RECORDED, 'utf8').split('\n');
  const serials = lines
    .filter((l) => l.startsWith('type=SYSCALL') && / syscall=42 .*exit=-115/.test(l))
    .slice(0, count)
    .map((l) => /msg=audit\(([\d.:]+)\)/.exec(l)![1]);
  return serials.map((s) => lines.filter((l) => l.includes(`msg=audit(${s})`)));
}

describe('AuditdReceiver on the dispatcher socket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'egressguard-audisp-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads events from the socket and reconnects when the daemon closes it', async () => {
    const path = join(dir, 'audispd_events');
    const events = connectEvents(4);
    assert.equal(events.length, 4, 'the recording has connect events');
    const clients: Socket[] = [];
    const server = createServer((socket) => clients.push(socket));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const received: PipelineRecord[] = [];
    const receiver = new AuditdReceiver(
      auditdReceiverConfig.parse({ source: { type: 'socket', path }, poll_interval_ms: 50 }),
      {
        id: 'auditd',
        stateDirectory: dir,
        resource: createResource({ 'host.name': 'test-host' }),
        onRecords: (records) => {
          received.push(...records);
          return Promise.resolve();
        },
        log: () => undefined,
      },
    );
    const connections = () => received.filter((r) => r.eventName === 'egressguard.connection');
    const until = async (n: number) => {
      const deadline = Date.now() + 20_000;
      while (connections().length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    };
    const waitClient = async (n: number) => {
      const deadline = Date.now() + 20_000;
      while (clients.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(clients.length, n, `connection ${n} to the socket`);
      return clients[n - 1];
    };
    try {
      await receiver.start();
      const first = await waitClient(1);
      // An event split across two writes, as a stream may deliver it.
      const text = `${events[0].join('\n')}\n${events[1].join('\n')}\n`;
      first.write(text.slice(0, 100));
      first.write(text.slice(100));
      await until(2);
      first.end();
      const second = await waitClient(2);
      second.write(`${events[2].join('\n')}\n${events[3].join('\n')}\n`);
      await until(4);
      await receiver.stop();
      const ports = connections().map((r) => r.attributes['destination.port']);
      assert.equal(ports.length, 4, JSON.stringify(ports));
      for (const r of connections()) assert.equal(r.attributes['egressguard.source.format'], 'auditd');
      assert.equal(receiver.counters().reconnects, 1);
    } finally {
      await receiver.stop();
      for (const c of clients) c.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('names the socket it cannot reach at start', async () => {
    const receiver = new AuditdReceiver(
      auditdReceiverConfig.parse({ source: { type: 'socket', path: join(dir, 'missing') } }),
      {
        id: 'auditd',
        stateDirectory: dir,
        resource: createResource({ 'host.name': 'test-host' }),
        onRecords: () => Promise.resolve(),
        log: () => undefined,
      },
    );
    await assert.rejects(receiver.start(), /receiver auditd: cannot connect to .*missing/);
    await receiver.stop();
  });
});

/**
 * The procfs receiver against the real /proc: a connection this process holds open to a loopback listener is
 * reported once, with its pid; the /proc/net/tcp{,6} text is read as the kernel writes it.
 */
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { createResource, type PipelineRecord } from '@egressguard/schema';

import { procfsReceiverConfig } from '../../src/host-receivers/config.ts';
import { ProcfsReceiver, parseProcNetTcp } from '../../src/host-receivers/procfs-receiver.ts';

const skip = process.platform === 'linux' ? false : 'procfs is Linux only';

/** A listener on a loopback port outside the ephemeral range, so that the client's side is the ephemeral one. */
async function listenOutsideEphemeral(): Promise<{ server: Server; port: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const server = createServer((s) => s.on('error', () => undefined));
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) return { server, port };
  }
  throw new Error('no free loopback port between 20000 and 30000');
}

describe('parseProcNetTcp', () => {
  it('reads IPv4 and IPv6 lines as the kernel writes them (host byte order)', () => {
    const v4 = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:9C40 0A00A8C0:0050 01 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 20 4 30 10 -1',
      '   1: garbage',
    ].join('\n');
    const r4 = parseProcNetTcp(v4, false);
    assert.equal(r4.malformed, 1);
    assert.deepEqual(r4.entries, [
      {
        localAddress: '127.0.0.1',
        localPort: 40000,
        remoteAddress: '192.168.0.10',
        remotePort: 80,
        state: 1,
        uid: 0,
        inode: 12345,
      },
    ]);
    const v6 = [
      '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000000000000000000001000000:9C40 B80D0120000000000000000001000000:01BB 02 00000000:00000000 00:00000000 00000000  1000        0 777 1 0000000000000000 20 4 30 10 -1',
      '   1: 0000000000000000FFFF00000100007F:9C41 0000000000000000FFFF00000A00A8C0:0050 01 00000000:00000000 00:00000000 00000000     0        0 778 1 0000000000000000 20 4 30 10 -1',
    ].join('\n');
    const r6 = parseProcNetTcp(v6, true);
    assert.equal(r6.malformed, 0);
    assert.deepEqual(
      r6.entries.map((e) => [e.localAddress, e.remoteAddress, e.remotePort, e.state, e.uid]),
      [
        ['::1', '2001:db8::1', 443, 2, 1000],
        ['127.0.0.1', '192.168.0.10', 80, 1, 0],
      ],
    );
  });
});

describe('ProcfsReceiver', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'egressguard-procfs-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a connection held open across a poll once, with its process', async () => {
    const { server, port } = await listenOutsideEphemeral();
    const received: PipelineRecord[] = [];
    const receiver = new ProcfsReceiver(procfsReceiverConfig.parse({ poll_interval_ms: 100 }), {
      id: 'procfs',
      stateDirectory: dir,
      resource: createResource({ 'host.name': 'test-host' }),
      onRecords: (records) => {
        received.push(...records);
        return Promise.resolve();
      },
      log: () => undefined,
    });
    let client: Socket | undefined;
    try {
      await receiver.start();
      client = connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => client!.once('connect', () => resolve()));
      const mine = () =>
        received.filter(
          (r) => r.attributes['destination.port'] === port && r.attributes['process.pid'] === process.pid,
        );
      const deadline = Date.now() + 20_000;
      while (mine().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      // Several more polls: the socket is still open and must not be reported again.
      await new Promise((r) => setTimeout(r, 500));
      await receiver.stop();
      const records = mine();
      assert.equal(records.length, 1, JSON.stringify(received.map((r) => r.attributes)));
      const a = records[0].attributes;
      assert.equal(records[0].eventName, 'egressguard.connection');
      assert.equal(a['destination.address'], '127.0.0.1');
      assert.equal(a['source.port'], client.localPort);
      assert.equal(a['egressguard.connection.outcome'], 'open');
      assert.equal(a['egressguard.source.format'], 'procfs');
      assert.equal(a['egressguard.connection.bytes_sent'], undefined, 'no bytes: /proc/net/tcp has none');
      assert.ok(receiver.counters().polls > 3);
    } finally {
      client?.destroy();
      await receiver.stop();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

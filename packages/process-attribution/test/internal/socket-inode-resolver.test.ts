import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { endianness } from 'node:os';
import { after, describe, it } from 'node:test';

import {
  SocketInodeResolver,
  decodeProcNetAddress,
  parseProcNetTcp,
} from '../../src/internal/socket-inode-resolver.ts';
import { fakeProcfs } from './fake-procfs.ts';

const LE = endianness() === 'LE';
/** Writes 4 address bytes as the kernel prints a 32-bit word in host order. */
const word = (bytes: number[]) =>
  (LE ? [...bytes].reverse() : bytes).map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join('');
const v4 = (a: number[]) => word(a);
const v6 = (a: number[]) => [0, 4, 8, 12].map((i) => word(a.slice(i, i + 4))).join('');
const port = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
const row = (sl: number, local: string, remote: string, state: string, inode: number) =>
  `  ${sl}: ${local} ${remote} ${state} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 20 4 30 10 -1\n`;

void describe('decodeProcNetAddress', () => {
  void it('decodes IPv4 and IPv6 words in host byte order', () => {
    assert.equal(decodeProcNetAddress(v4([127, 0, 0, 1])), '127.0.0.1');
    assert.equal(decodeProcNetAddress(v4([10, 1, 2, 3])), '10.1.2.3');
    assert.equal(decodeProcNetAddress(v6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])), '::1');
    // IPv4-mapped addresses compare equal to the IPv4 form.
    assert.equal(
      decodeProcNetAddress(v6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1])),
      '192.0.2.1',
    );
    assert.equal(decodeProcNetAddress('XYZ'), undefined);
  });

  void it('reads the rows the kernel writes (a real line of /proc/net/tcp6)', () => {
    if (!LE) return;
    const [e] = parseProcNetTcp(
      '  sl  local_address remote_address st\n   0: 00000000000000000000000001000000:B1D6 00000000000000000000000001000000:83F3 06 00000000:00000000 03:000001B4 00000000     0        0 0 3 00000000564bb511\n',
    );
    assert.deepEqual(e, {
      localAddress: '::1',
      localPort: 0xb1d6,
      remoteAddress: '::1',
      remotePort: 0x83f3,
      state: 6,
      inode: 0,
    });
  });
});

void describe('SocketInodeResolver on a fake tree', () => {
  const root = fakeProcfs(
    [
      {
        pid: 500,
        comm: 'curl',
        startTicks: 10,
        exe: '/usr/bin/curl',
        fds: { 0: '/dev/null', 3: 'socket:[9001]' },
      },
      // A socket inherited across fork: two processes hold it.
      { pid: 600, comm: 'httpd', startTicks: 10, exe: '/usr/sbin/httpd', fds: { 4: 'socket:[9002]' } },
      { pid: 601, comm: 'httpd', startTicks: 11, exe: '/usr/sbin/httpd', fds: { 4: 'socket:[9002]' } },
    ],
    {
      tcp:
        row(0, `${v4([10, 0, 0, 5])}:${port(40_100)}`, `${v4([198, 51, 100, 20])}:${port(80)}`, '01', 9001) +
        row(1, `${v4([10, 0, 0, 5])}:${port(40_101)}`, `${v4([198, 51, 100, 20])}:${port(80)}`, '06', 0),
      tcp6: row(
        0,
        `${v6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 5])}:${port(40_200)}`,
        `${v6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 7])}:${port(443)}`,
        '01',
        9002,
      ),
    },
  );
  after(() => rmSync(root, { recursive: true, force: true }));
  let now = 0;
  const resolver = new SocketInodeResolver({ root, minScanIntervalMs: 1_000, now: () => now });

  void it('maps a 5-tuple to its inode and the inode to its process', () => {
    const r = resolver.resolve({
      localAddress: '10.0.0.5',
      localPort: 40_100,
      remoteAddress: '198.51.100.20',
      remotePort: 80,
    });
    assert.deepEqual(r, { kind: 'found', inode: 9001, pids: [500] });
    assert.equal(resolver.fdScans, 1);
  });

  void it('finds an IPv4 connection in tcp6 (a dual-stack socket) and reports every holder of a shared socket', () => {
    const r = resolver.resolve({
      localAddress: '::ffff:10.0.0.5',
      localPort: 40_200,
      remoteAddress: '203.0.113.7',
      remotePort: 443,
    });
    assert.equal(r.kind, 'found');
    assert.deepEqual(r.kind === 'found' ? [...r.pids].sort() : [], [600, 601]);
    assert.equal(resolver.fdScans, 1, 'the first scan cached every inode it saw');
  });

  void it('says when a socket has no owner (TIME_WAIT) or does not exist', () => {
    assert.equal(
      resolver.resolve({
        localAddress: '10.0.0.5',
        localPort: 40_101,
        remoteAddress: '198.51.100.20',
        remotePort: 80,
      }).kind,
      'no_owner',
    );
    assert.equal(
      resolver.resolve({
        localAddress: '10.0.0.5',
        localPort: 1,
        remoteAddress: '198.51.100.20',
        remotePort: 80,
      }).kind,
      'no_socket',
    );
  });

  void it('rate-limits fd scans and counts the refusals', () => {
    assert.equal(resolver.pidsOf(777), 'rate_limited');
    assert.equal(resolver.rateLimited, 1);
    now += 1_000;
    assert.deepEqual(resolver.pidsOf(777), []);
    assert.equal(resolver.fdScans, 2);
  });
});

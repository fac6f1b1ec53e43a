/**
 * The enricher against the real operating system: a real child process opens a real loopback connection, and the
 * enricher, given only the 5-tuple, finds it through /proc/net/tcp, the socket inode and /proc/<pid>.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';

import { makeConnection } from '@egressguard/core/testing';
import { AttributionAttr, AttributionMethod, NetworkAttr, ProcessAttr, getString } from '@egressguard/schema';

import { processAttributionFactory } from '../src/index.ts';

const skip =
  process.platform !== 'linux'
    ? 'needs Linux /proc'
    : !existsSync('/proc/net/tcp')
      ? 'needs /proc/net/tcp (procfs not mounted)'
      : false;

/** Code of the child: one HTTP request on a kept-alive connection, then it reports its side and waits. */
const CHILD = `
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const req = http.get({ host: '127.0.0.1', port: Number(process.argv[1]), path: '/', agent }, (res) => {
  res.resume();
  res.on('end', () => {
    process.stdout.write(JSON.stringify({ pid: process.pid, execPath: process.execPath, localPort: req.socket.localPort }) + '\\n');
  });
});
process.stdin.on('data', () => process.exit(0));
`;

interface ChildInfo {
  readonly pid: number;
  readonly execPath: string;
  readonly localPort: number;
}

function create(config: unknown = {}) {
  return processAttributionFactory.create(
    processAttributionFactory.config.parse({ procfs: { enabled: true }, ...(config as object) }),
    { id: 'process_attribution/live', now: Date.now },
  );
}

void describe('live attribution on this host', { skip }, () => {
  let server: Server;
  let port: number;
  let child: ChildProcessWithoutNullStreams;
  let info: ChildInfo;
  let spawnedAfter: number;
  let spawnedBefore: number;

  before(async () => {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    spawnedBefore = Date.now();
    child = spawn(process.execPath, ['-e', CHILD, String(port)], { stdio: 'pipe' });
    spawnedAfter = Date.now();
    info = await new Promise<ChildInfo>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(JSON.parse(out) as ChildInfo);
      });
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
  });

  after(async () => {
    child.stdin.write('bye\n');
    await new Promise((resolve) => child.once('exit', resolve));
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  void it('finds the process of a connection given only its 5-tuple, through the socket inode', async () => {
    const p = create();
    const record = makeConnection(
      {
        [NetworkAttr.TRANSPORT]: 'tcp',
        [NetworkAttr.SOURCE_ADDRESS]: '127.0.0.1',
        [NetworkAttr.SOURCE_PORT]: info.localPort,
        [NetworkAttr.DESTINATION_ADDRESS]: '127.0.0.1',
        [NetworkAttr.DESTINATION_PORT]: port,
      },
      { host: hostname(), timeMs: Date.now() },
    );
    const [out] = await p.process([record]);
    assert.ok(out);
    const a = out.attributes;
    assert.equal(a[AttributionAttr.METHOD], AttributionMethod.SOCKET);
    assert.equal(a[ProcessAttr.PID], info.pid);
    assert.equal(a[ProcessAttr.PID], child.pid);
    assert.equal(a[ProcessAttr.EXECUTABLE_PATH], info.execPath);
    assert.equal(a[ProcessAttr.COMMAND_LINE], [process.execPath, '-e', CHILD, String(port)].join(' '));
    assert.equal(a[ProcessAttr.PARENT_PID], process.pid);
    assert.equal(a[ProcessAttr.EXECUTABLE_DELETED], false);
    assert.equal(a[ProcessAttr.USER_ID], process.getuid?.());
    // /proc gives the start in clock ticks since a boot time known to the second: allow that second each way.
    const created = Date.parse(getString(a, ProcessAttr.CREATION_TIME) ?? '');
    assert.ok(
      created >= spawnedBefore - 1_100 && created <= spawnedAfter + 1_100,
      `creation ${created} vs spawn ${spawnedBefore}`,
    );
    assert.ok((a[AttributionAttr.CONFIDENCE] as number) > 0.5);
    assert.ok(p.counters().events.fd_scans >= 1, 'the fd scan ran');
    await p.shutdown();
  });

  void it('hashes the running executable through /proc/<pid>/exe, and skips it above the size bound', async () => {
    const record = () =>
      makeConnection(
        {
          [ProcessAttr.PID]: info.pid,
          [NetworkAttr.DESTINATION_ADDRESS]: '127.0.0.1',
          [NetworkAttr.DESTINATION_PORT]: port,
        },
        { host: hostname(), timeMs: Date.now() },
      );
    const size = statSync(info.execPath).size;
    const small = create({ hashing: { enabled: true, max_file_bytes: size - 1 } });
    const [skipped] = await small.process([record()]);
    assert.equal(skipped?.attributes[ProcessAttr.EXECUTABLE_SHA256], undefined);
    assert.equal(small.counters().events.hash_skipped_too_large, 1);
    await small.shutdown();

    const p = create({ hashing: { enabled: true, max_file_bytes: size } });
    const [out] = await p.process([record()]);
    const expected = createHash('sha256').update(readFileSync(info.execPath)).digest('hex');
    assert.equal(out?.attributes[ProcessAttr.EXECUTABLE_SHA256], expected);
    await p.shutdown();
  });

  void it('finds the other end of the connection (this process, the server), written with a v4-mapped address', async () => {
    const p = create({ rules: ['socket'] });
    // The server's view: its local side is the listening port, the client's port is the remote side.
    const [out] = await p.process([
      makeConnection(
        {
          [NetworkAttr.SOURCE_ADDRESS]: '::ffff:127.0.0.1',
          [NetworkAttr.SOURCE_PORT]: port,
          [NetworkAttr.DESTINATION_ADDRESS]: '127.0.0.1',
          [NetworkAttr.DESTINATION_PORT]: info.localPort,
        },
        { host: hostname(), timeMs: Date.now() },
      ),
    ]);
    assert.equal(out?.attributes[AttributionAttr.METHOD], AttributionMethod.SOCKET);
    assert.equal(out?.attributes[ProcessAttr.PID], process.pid);
    assert.equal(out?.attributes[ProcessAttr.EXECUTABLE_PATH], readlinkSync('/proc/self/exe'));
    await p.shutdown();
  });

  void it('reads /proc/<pid> for a record that carries only a pid', async () => {
    const p = create();
    const [out] = await p.process([
      makeConnection(
        {
          [ProcessAttr.PID]: info.pid,
          [NetworkAttr.DESTINATION_ADDRESS]: '127.0.0.1',
          [NetworkAttr.DESTINATION_PORT]: port,
        },
        { host: hostname(), timeMs: Date.now() },
      ),
    ]);
    assert.equal(out?.attributes[AttributionAttr.METHOD], AttributionMethod.PROCFS);
    assert.equal(out?.attributes[ProcessAttr.EXECUTABLE_PATH], info.execPath);
    await p.shutdown();
  });

  void it('does not attribute a record older than the process holding its pid now (pid reuse)', async () => {
    const p = create({ rules: ['procfs'] });
    const [out] = await p.process([
      makeConnection(
        {
          [ProcessAttr.PID]: info.pid,
          [NetworkAttr.DESTINATION_ADDRESS]: '127.0.0.1',
          [NetworkAttr.DESTINATION_PORT]: port,
        },
        // Ten seconds before the child started: whoever held the pid then, it was not the child.
        { host: hostname(), timeMs: spawnedBefore - 10_000 },
      ),
    ]);
    assert.equal(out?.attributes[AttributionAttr.METHOD], AttributionMethod.NONE);
    assert.equal(out?.attributes[AttributionAttr.REASON], 'process_gone');
    assert.equal(out?.attributes[ProcessAttr.EXECUTABLE_PATH], undefined);
    await p.shutdown();
  });

  void it('marks a kernel thread as such and names no executable', { skip: kthreadSkip() }, async () => {
    const p = create();
    const [out] = await p.process([
      makeConnection(
        { [ProcessAttr.PID]: 2, [NetworkAttr.DESTINATION_ADDRESS]: '127.0.0.1' },
        { host: hostname(), timeMs: Date.now() },
      ),
    ]);
    assert.equal(out?.attributes[AttributionAttr.METHOD], AttributionMethod.PROCFS);
    assert.equal(out?.attributes[ProcessAttr.KERNEL_THREAD], true);
    assert.equal(out?.attributes[AttributionAttr.REASON], 'kernel_thread');
    assert.equal(out?.attributes[ProcessAttr.EXECUTABLE_PATH], undefined);
    assert.equal(out?.attributes[ProcessAttr.EXECUTABLE_NAME], undefined);
    await p.shutdown();
  });
});

function kthreadSkip(): string | false {
  try {
    const flags = Number(readFileSync('/proc/2/stat', 'utf8').split(') ')[1]?.split(' ')[6]);
    return (flags & 0x00200000) !== 0 ? false : 'pid 2 is not a kernel thread here (a pid namespace)';
  } catch {
    return 'no /proc/2 here (a pid namespace)';
  }
}

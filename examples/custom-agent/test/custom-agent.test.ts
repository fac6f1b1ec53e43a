/**
 * The custom agent against the real operating system: a real child process holds a real loopback connection to a
 * server this test runs, and the agent, given only the 5-tuple (or polling the socket table itself), names the
 * child's pid and executable.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import {
  AttributionAttr,
  AttributionMethod,
  getInt,
  getString,
  NetworkAttr,
  ProcessAttr,
} from '@egressguard/schema';

import { CustomAgent, type FiveTuple } from '../src/custom-agent.ts';

const skip =
  process.platform !== 'linux'
    ? 'the custom agent reads Linux /proc; skipped on this platform'
    : !existsSync('/proc/net/tcp')
      ? 'the custom agent needs /proc/net/tcp (procfs is not mounted)'
      : false;

/** The child: one request on a kept-alive connection, then it prints its side of it and waits to be told to exit. */
const CHILD = `
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const req = http.get({ host: '127.0.0.1', port: Number(process.argv[1]), path: '/', agent }, (res) => {
  res.resume();
  res.on('end', () => process.stdout.write(JSON.stringify({ localPort: req.socket.localPort }) + '\\n'));
});
process.stdin.on('data', () => process.exit(0));
`;

describe('custom agent: only the process-attribution enricher', { skip }, () => {
  let server: Server;
  let serverPort: number;
  let child: ChildProcessWithoutNullStreams;
  let childPort: number;
  const agent = skip ? undefined : new CustomAgent();

  before(async () => {
    server = createServer((_req, res) => res.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    serverPort = (server.address() as AddressInfo).port;
    child = spawn(process.execPath, ['-e', CHILD, String(serverPort)], { stdio: 'pipe' });
    childPort = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve((JSON.parse(out) as { localPort: number }).localPort);
      });
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the child exited early with ${code}`)));
    });
  });

  after(async () => {
    await agent?.shutdown();
    if (child.exitCode === null) {
      const exited = once(child, 'exit');
      child.stdin.write('bye\n');
      await exited;
    }
    server.closeAllConnections();
    server.close();
  });

  it('names the process of a connection given only its 5-tuple', async () => {
    const tuple: FiveTuple = {
      sourceAddress: '127.0.0.1',
      sourcePort: childPort,
      destinationAddress: '127.0.0.1',
      destinationPort: serverPort,
    };
    const [record] = await agent!.enrich([tuple]);
    const a = record.attributes;
    assert.equal(
      getString(a, AttributionAttr.METHOD),
      AttributionMethod.SOCKET,
      'found through the socket inode',
    );
    assert.equal(getInt(a, ProcessAttr.PID), child.pid);
    assert.equal(getString(a, ProcessAttr.EXECUTABLE_PATH), process.execPath);
    assert.equal(getInt(a, ProcessAttr.PARENT_PID), process.pid);
    assert.ok(getString(a, ProcessAttr.COMMAND_LINE)?.startsWith(`${process.execPath} -e`));
    assert.equal(getInt(a, NetworkAttr.SOURCE_PORT), childPort, 'the sensor’s own fields are kept as given');
  });

  it('finds the connection in the socket table itself and attributes it the same way', async () => {
    const polled = agent!.pollOutbound();
    const mine = polled.filter((t) => t.sourcePort === childPort && t.destinationPort === serverPort);
    assert.equal(mine.length, 1, 'the child’s outbound connection is polled, the server’s side of it is not');
    assert.ok(
      !polled.some((t) => t.sourcePort === serverPort),
      'the inbound side (local port is a listening port) is not reported as outbound',
    );
    const [record] = await agent!.enrich(mine);
    assert.equal(getInt(record.attributes, ProcessAttr.PID), child.pid);
    assert.equal(getString(record.attributes, ProcessAttr.EXECUTABLE_PATH), process.execPath);
  });

  it('says why when no process holds the 5-tuple', async () => {
    // The child's port, but towards a port nothing listens on: no such socket exists.
    const [record] = await agent!.enrich([
      {
        sourceAddress: '127.0.0.1',
        sourcePort: childPort,
        destinationAddress: '127.0.0.1',
        destinationPort: 9,
      },
    ]);
    assert.equal(getString(record.attributes, AttributionAttr.METHOD), AttributionMethod.NONE);
    assert.equal(getInt(record.attributes, ProcessAttr.PID), undefined, 'no process is guessed');
    assert.ok(getString(record.attributes, AttributionAttr.REASON));
  });
});

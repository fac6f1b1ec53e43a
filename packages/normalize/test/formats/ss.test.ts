import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';

import {
  BytesKind,
  ConnectionAttr,
  EventName,
  NetworkAttr,
  Outcome,
  ProcessAttr,
  ProvenanceAttr,
  hrTimeToMs,
  type PipelineRecord,
} from '@egressguard/schema';

import { SS_POLL_MARKER, pollSs, ssFormat } from '../../src/formats/ss.ts';
import { feed, fixedHostOptions } from '../feed-parser.ts';
import { fixtureText } from '../read-all.ts';

const options = fixedHostOptions('polled-host');
const host = options.defaultResource;

function parseText(text: string) {
  const fed = feed(ssFormat.createParser(options), text.split('\n'));
  return { ...fed, all: fed.records };
}
const bySport = (records: PipelineRecord[]) =>
  new Map(records.map((r) => [r.attributes[NetworkAttr.SOURCE_PORT], r]));

describe('ss format', () => {
  it('follows sockets over 3 polls: vanished -> completed with last counters, alive at the end -> open', () => {
    const { pushed, atEnd, all, errors, counters } = parseText(fixtureText('ss-polls.txt'));
    assert.deepEqual(errors, []);
    // Poll 2 is complete when poll 3's marker arrives: the SYN-SENT socket that is gone by then failed.
    const poll3Marker = 21;
    assert.deepEqual(
      pushed[poll3Marker - 1].map((r) => r.attributes[NetworkAttr.SOURCE_PORT]),
      [51020],
    );
    assert.equal(pushed.flat().length, 1);

    const got = bySport(all);
    assert.deepEqual(
      [...got.keys()].sort(),
      [51000, 51010, 51020, 51030],
      'listener, inbound and TIME-WAIT are not emitted',
    );
    for (const r of all) {
      assert.equal(r.eventName, EventName.CONNECTION);
      assert.equal(r.resource, host);
    }

    const syn = got.get(51020)!;
    assert.equal(syn.attributes[ConnectionAttr.OUTCOME], Outcome.FAILED, 'never got past SYN-SENT');
    assert.equal(syn.attributes[ConnectionAttr.BYTES_SENT], 0, 'info present, no counter printed: 0');

    const shared = got.get(51010)!;
    assert.deepEqual(shared.attributes, {
      [NetworkAttr.TRANSPORT]: 'tcp',
      [NetworkAttr.TYPE]: 'ipv4',
      [NetworkAttr.SOURCE_ADDRESS]: '10.40.0.5',
      [NetworkAttr.SOURCE_PORT]: 51010,
      [NetworkAttr.DESTINATION_ADDRESS]: '198.51.100.40',
      [NetworkAttr.DESTINATION_PORT]: 443,
      [ConnectionAttr.BYTES_SENT]: 150,
      [ConnectionAttr.BYTES_RECEIVED]: 4000,
      [ConnectionAttr.OUTCOME]: Outcome.COMPLETED,
      [ProcessAttr.PID]: 700,
      [ProcessAttr.EXECUTABLE_NAME]: 'gunicorn',
      [ProvenanceAttr.SOURCE_FORMAT]: 'ss',
      [ProvenanceAttr.SOURCE_ID]: '90002',
      [ProvenanceAttr.BYTES_KIND]: BytesKind.ACKED,
    });
    assert.equal(hrTimeToMs(shared.hrTime), 1764460800000, 'first poll that saw it');
    assert.equal(hrTimeToMs(shared.hrTimeObserved), 1764460805000, 'last poll that saw it');

    const beacon = got.get(51000)!.attributes;
    assert.equal(beacon[ConnectionAttr.OUTCOME], Outcome.OPEN);
    assert.equal(beacon[ConnectionAttr.BYTES_SENT], 13001, 'bytes_acked of the last poll');
    assert.equal(beacon[ConnectionAttr.BYTES_RECEIVED], 900);
    assert.equal(beacon[ProcessAttr.PID], 4242);
    assert.equal(hrTimeToMs(got.get(51000)!.hrTimeObserved), 1764460810000);

    const curl = got.get(51030)!;
    assert.equal(
      curl.attributes[ConnectionAttr.BYTES_RECEIVED],
      70000,
      'missing in poll 2 (zero), 70000 in poll 3',
    );
    assert.equal(hrTimeToMs(curl.hrTime), 1764460805000);
    assert.ok(atEnd.includes(curl));

    assert.deepEqual(counters, {
      polls: 3,
      listening_lines: 3,
      shared_sockets: 1,
      inbound_lines_ignored: 1,
      other_state_lines: 1,
      tracked_sockets: 0,
    });
  });

  it('reads -O one-line output with headers as poll boundaries, IPv6 and ::ffff: addresses, service ports', () => {
    const { all, errors } = parseText(fixtureText('ss-O-headers.txt'));
    assert.deepEqual(errors, [
      { line: 5, reason: 'peer address 203.0.113.50:gopher: port gopher is a service name; run ss with -n' },
    ]);
    const got = bySport(all);
    assert.deepEqual([...got.keys()].sort(), [47110, 47200], 'sshd on port 22 is inbound');
    const wget = got.get(47110)!.attributes;
    assert.equal(wget[NetworkAttr.TYPE], 'ipv6');
    assert.equal(wget[NetworkAttr.DESTINATION_ADDRESS], '2001:db8:ee::1');
    assert.equal(wget[ConnectionAttr.BYTES_SENT], 241);
    assert.equal(wget[ConnectionAttr.BYTES_RECEIVED], 102400);
    assert.equal(wget[ConnectionAttr.OUTCOME], Outcome.OPEN);
    const apt = got.get(47200)!.attributes;
    assert.equal(apt[NetworkAttr.DESTINATION_PORT], 443);
    assert.equal(apt[ConnectionAttr.OUTCOME], Outcome.COMPLETED, 'gone in the second poll');
    const { all: mapped } = parseText(
      'ESTAB 0 0 [::ffff:10.0.0.9]:40000 [::ffff:192.0.2.1]:80 users:(("x",pid=1,fd=3)) rto:204',
    );
    assert.equal(mapped[0].attributes[NetworkAttr.SOURCE_ADDRESS], '10.0.0.9');
    assert.equal(mapped[0].attributes[NetworkAttr.TYPE], 'ipv4');
  });

  it('reads output without a State column and ### time markers', () => {
    const { all, errors } = parseText(fixtureText('ss-state-established.txt'));
    assert.deepEqual(errors, []);
    assert.equal(all.length, 1);
    assert.equal(all[0].attributes[ConnectionAttr.OUTCOME], Outcome.COMPLETED);
    assert.equal(all[0].attributes[ProcessAttr.EXECUTABLE_NAME], 'http');
    assert.equal(hrTimeToMs(all[0].hrTime), Date.parse('2025-11-30T08:00:00.000Z'));
  });

  it('parses users: with quoted names holding spaces, commas and parentheses', () => {
    const { all } = parseText(
      'ESTAB 0 0 10.0.0.9:40000 192.0.2.1:80 users:(("my (odd), app",pid=77,fd=3),("sh",pid=78,fd=3)) rto:204',
    );
    assert.equal(all[0].attributes[ProcessAttr.EXECUTABLE_NAME], 'my (odd), app');
    assert.equal(all[0].attributes[ProcessAttr.PID], 77);
  });

  it('without -i leaves bytes missing, never 0', () => {
    const { all } = parseText('ESTAB 0 0 10.0.0.9:40000 192.0.2.1:80 users:(("x",pid=1,fd=3))');
    assert.equal(ConnectionAttr.BYTES_SENT in all[0].attributes, false);
    assert.equal(ProvenanceAttr.BYTES_KIND in all[0].attributes, false);
  });

  it('recognises ss output only', () => {
    assert.equal(ssFormat.recognize(`${SS_POLL_MARKER} 1764460800000`), true);
    assert.equal(
      ssFormat.recognize('State Recv-Q Send-Q Local Address:Port  Peer Address:Port Process'),
      true,
    );
    assert.equal(
      ssFormat.recognize('PID   COMM       LADDR           LPORT RADDR           RPORT TX_KB RX_KB MS'),
      false,
    );
  });
});

function ssAvailable(): string | false {
  if (process.platform !== 'linux') return 'ss polls Linux sockets: not Linux';
  try {
    execFileSync('ss', ['-V'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'the ss command (iproute2) is not installed';
  }
}

describe('ss format against the real ss', () => {
  const REQUEST_BODY = 30_000;
  const RESPONSE_BODY = 20_000;
  // HTTP/1.1 framing on top of the bodies: Node's request line and headers (POST, Host, Content-Length,
  // Connection) and its response status line and headers (Date, Connection, Keep-Alive, Content-Length) are each
  // under 300 bytes; bytes_acked also counts the SYN (1). 1024 bytes covers that with room, and is far smaller
  // than either body, so a swapped or missing counter cannot pass.
  const MARGIN = 1024;

  it(
    'attributes a live loopback HTTP exchange to the child that made it, with its byte counts',
    { skip: ssAvailable() },
    async () => {
      const server = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'content-length': RESPONSE_BODY });
          res.end('r'.repeat(RESPONSE_BODY));
        });
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const port = (server.address() as AddressInfo).port;
      const client = [
        "const http = require('node:http');",
        'const agent = new http.Agent({ keepAlive: true });',
        `const req = http.request({ host: '127.0.0.1', port: ${port}, method: 'POST', agent, headers: { 'content-length': ${REQUEST_BODY} } }, (res) => {`,
        "  res.resume(); res.on('end', () => process.stdout.write('done\\n'));",
        '});',
        `req.end('q'.repeat(${REQUEST_BODY}));`,
        "process.stdin.on('data', () => { agent.destroy(); process.exit(0); });",
      ].join('\n');
      const child = spawn(process.execPath, ['-e', client], { stdio: ['pipe', 'pipe', 'inherit'] });
      try {
        const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
        assert.equal(chunk.toString().trim(), 'done');
        const text = await pollSs();
        assert.ok(text.startsWith(SS_POLL_MARKER));
        const { all, errors } = parseText(text);
        assert.deepEqual(errors, [], 'every line of the real output parses');
        const mine = all.filter((r) => r.attributes[NetworkAttr.DESTINATION_PORT] === port);
        assert.equal(
          mine.length,
          1,
          "the server's accepted socket is inbound (its port is listening): only the client's",
        );
        const a = mine[0].attributes;
        assert.equal(a[ProcessAttr.PID], child.pid);
        assert.equal(a[ProcessAttr.EXECUTABLE_NAME], 'node');
        assert.equal(a[NetworkAttr.DESTINATION_ADDRESS], '127.0.0.1');
        assert.equal(a[ConnectionAttr.OUTCOME], Outcome.OPEN);
        assert.equal(a[ProvenanceAttr.BYTES_KIND], BytesKind.ACKED);
        const sent = a[ConnectionAttr.BYTES_SENT] as number;
        const received = a[ConnectionAttr.BYTES_RECEIVED] as number;
        assert.ok(sent >= REQUEST_BODY && sent <= REQUEST_BODY + MARGIN, `bytes_acked ${sent}`);
        assert.ok(
          received >= RESPONSE_BODY && received <= RESPONSE_BODY + MARGIN,
          `bytes_received ${received}`,
        );
      } finally {
        child.stdin.end('close\n');
        if (child.exitCode === null) await once(child, 'exit');
        server.close();
      }
    },
  );
});

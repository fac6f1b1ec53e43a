/**
 * The receiver over HTTPS with a self-signed certificate made by openssl (skipped where openssl is missing).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { OtlpHttpReceiver, encodeLogsProto } from '../src/index.ts';
import { sampleRecords } from './support/sample-records.ts';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe(
  'OtlpHttpReceiver over TLS',
  { skip: hasOpenssl() ? false : 'openssl is not installed: cannot make a test certificate' },
  () => {
    it('serves POST /v1/logs over HTTPS with the given certificate and key', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'egressguard-otlp-tls-'));
      const certFile = join(dir, 'cert.pem');
      const keyFile = join(dir, 'key.pem');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          keyFile,
          '-out',
          certFile,
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { stdio: 'ignore' },
      );
      let count = 0;
      const receiver = new OtlpHttpReceiver({
        port: 0,
        tls: { certFile, keyFile },
        onRecords: (records) => Promise.resolve(void (count += records.length)),
      });
      const { port } = await receiver.start();
      try {
        const status = await new Promise<number>((resolve, reject) => {
          const req = request(
            {
              host: '127.0.0.1',
              port,
              method: 'POST',
              path: '/v1/logs',
              ca: readFileSync(certFile),
              headers: { 'Content-Type': 'application/x-protobuf' },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          req.end(encodeLogsProto(sampleRecords(3)));
        });
        assert.equal(status, 200);
        assert.equal(count, 3);
      } finally {
        await receiver.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);

import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { SENSOR_RECORD, validateRecord } from '@egressguard/schema';

import { SHARED_TELEMETRY, readAll } from './read-all.ts';

/** The real samples of this package's formats, by folder: which files, read as which format. */
const SAMPLES: readonly { readonly folder: string; readonly pattern: RegExp; readonly format: string }[] = [
  { folder: 'go-libaudit', pattern: /\.log$/, format: 'auditd' },
  { folder: 'laurel', pattern: /^record-.*\.txt$/, format: 'auditd' },
  { folder: 'falco', pattern: /\.jsonl$/, format: 'falco' },
  { folder: 'tetragon', pattern: /\.json$/, format: 'tetragon' },
];

describe('shared real sensor samples', () => {
  for (const sample of SAMPLES) {
    const dir = path.join(SHARED_TELEMETRY, sample.folder);
    const present = existsSync(dir);
    void it(
      `reads every ${sample.folder} sample as ${sample.format} without an error`,
      {
        skip: present
          ? false
          : `shared samples not found at ${dir} (they live beside the repository, not in it)`,
      },
      async () => {
        const files = readdirSync(dir).filter((f) => sample.pattern.test(f));
        assert.ok(files.length > 0, `no ${sample.pattern} files in ${dir}`);
        for (const file of files) {
          for (const format of [sample.format, 'auto']) {
            const { records, errors, summary } = await readAll(path.join(dir, file), format);
            assert.deepEqual(errors, [], `${file} as ${format}`);
            assert.equal(summary.format, sample.format, `${file} recognised as ${summary.format}`);
            for (const r of records) assert.deepEqual(validateRecord(r, SENSOR_RECORD), [], file);
          }
        }
      },
    );
  }

  void it(
    'finds the connections the samples are known for',
    { skip: existsSync(SHARED_TELEMETRY) ? false : `shared samples not found at ${SHARED_TELEMETRY}` },
    async () => {
      const imds = await readAll(path.join(SHARED_TELEMETRY, 'go-libaudit', 'normal.log'), 'auditd');
      const conn = imds.records.find((r) => r.eventName === 'egressguard.connection')!;
      assert.equal(conn.attributes['destination.address'], '169.254.169.254');
      assert.equal(conn.attributes['destination.port'], 80);
      assert.equal(conn.attributes['egressguard.process.executable.deleted'], true);
      const merlin = await readAll(
        path.join(
          SHARED_TELEMETRY,
          'tetragon',
          '03_security_observability_events__02_persistance__merlin-agent-job-close.json',
        ),
        'tetragon',
      );
      assert.equal(merlin.records[0].attributes['egressguard.connection.bytes_sent'], 4364);
      assert.equal(merlin.records[0].attributes['egressguard.connection.bytes_received'], 8874);
      const laurel = await readAll(path.join(SHARED_TELEMETRY, 'laurel', 'record-connect.txt'), 'auditd');
      assert.deepEqual(
        laurel.records.map((r) => r.attributes['destination.address']),
        ['127.0.0.1', '::1'],
      );
    },
  );
});

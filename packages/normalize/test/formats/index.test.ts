import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { SENSOR_FORMATS, SENSOR_FORMAT_NAMES, getFormat, recognizeFormat } from '../../src/formats/index.ts';
import { FIXTURES, readAll } from '../read-all.ts';

describe('format registry', () => {
  it('lists every format by name', () => {
    assert.deepEqual([...SENSOR_FORMAT_NAMES].sort(), [
      'auditbeat',
      'auditd',
      'falco',
      'ss',
      'sysmon',
      'tcplife',
      'tetragon',
      'zeek',
    ]);
    for (const name of SENSOR_FORMAT_NAMES) assert.equal(getFormat(name), SENSOR_FORMATS[name]);
    assert.throws(() => getFormat('pcap'), /unknown sensor format "pcap" \(known: auditd, /);
  });

  it('recognises each fixture as the format it was written in, and nothing as two formats', async () => {
    const files = readdirSync(FIXTURES);
    let checked = 0;
    for (const file of files) {
      const expected = SENSOR_FORMAT_NAMES.find((name) => file.startsWith(`${name}-`));
      if (!expected) continue;
      const { summary } = await readAll(path.join(FIXTURES, file), 'auto');
      assert.equal(summary.format, expected, file);
      checked++;
    }
    assert.ok(checked >= 4);
  });

  it('recognises decoded objects as well as lines', () => {
    assert.equal(recognizeFormat({ rule: 'x', output_fields: {} })?.name, 'falco');
    assert.equal(recognizeFormat({ process_exec: { process: {} } })?.name, 'tetragon');
    assert.equal(recognizeFormat('plain text'), undefined);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { substituteEnv } from '../../src/config/env-substitution.ts';

describe('substituteEnv', () => {
  const env = { HOST: '10.0.0.1', EMPTY: '' };
  const cases: { name: string; text: string; out: string; missing?: string[]; malformed?: string[] }[] = [
    { name: 'set variable', text: 'a: ${env:HOST}:4318', out: 'a: 10.0.0.1:4318' },
    { name: 'default for an unset variable', text: 'a: ${env:PORT:-4319}', out: 'a: 4319' },
    { name: 'default for an empty variable', text: 'a: ${env:EMPTY:-x}', out: 'a: x' },
    { name: 'empty default', text: 'a: "${env:PORT:-}"', out: 'a: ""' },
    { name: 'set variable wins over its default', text: '${env:HOST:-x}', out: '10.0.0.1' },
    { name: '$$ escapes a reference', text: 'a: $${env:HOST}', out: 'a: ${env:HOST}' },
    {
      name: 'unset without default is missing',
      text: 'x\ny: ${env:NOPE}',
      out: 'x\ny: ',
      missing: ['NOPE@2'],
    },
    {
      name: 'a ${…} that is not env: is malformed',
      text: 'a: ${HOST}',
      out: 'a: ${HOST}',
      malformed: ['${HOST}@1'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = substituteEnv(c.text, env);
      assert.equal(r.text, c.out);
      assert.deepEqual(
        r.missing.map((m) => `${m.name}@${m.line}`),
        c.missing ?? [],
      );
      assert.deepEqual(
        r.malformed.map((m) => `${m.reference}@${m.line}`),
        c.malformed ?? [],
      );
    });
  }
});

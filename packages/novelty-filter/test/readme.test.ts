import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { configRows, configTable } from '@egressguard/core';

import { BUILTIN_ALLOWLIST, EXCLUDED_SOFTWARE, noveltyFilterFactory } from '../src/index.ts';

const README = join(import.meta.dirname, '..', 'README.md');
const esc = (s: string) => s.replace(/\|/g, '\\|');

function allowlistTable(): string {
  const lines = [
    '| id | software | category | path patterns | names (path unknown only) | why it talks HTTP |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const e of BUILTIN_ALLOWLIST) {
    const paths = e.paths.map((p) => `\`${p}\``).join('<br>');
    const names = (e.names ?? []).map((n) => `\`${n}\``).join(', ');
    lines.push(`| \`${e.id}\` | ${esc(e.software)} | ${e.category} | ${paths} | ${names} | ${esc(e.why)} |`);
  }
  lines.push('', '| left out on purpose | why |', '| --- | --- |');
  for (const x of EXCLUDED_SOFTWARE) lines.push(`| ${esc(x.software)} | ${esc(x.reason)} |`);
  return lines.join('\n');
}

/** The generated sections; `UPDATE_README=1` rewrites them in place. */
const SECTIONS: Record<string, () => string> = {
  'config-table': () => configTable(configRows(noveltyFilterFactory.config.jsonSchema())),
  'allowlist-table': allowlistTable,
};

describe('README', () => {
  for (const [name, generate] of Object.entries(SECTIONS)) {
    it(`${name} is current`, () => {
      const text = readFileSync(README, 'utf8');
      const start = `<!-- ${name}:start -->\n`;
      const end = `\n<!-- ${name}:end -->`;
      const from = text.indexOf(start);
      const to = text.indexOf(end);
      assert.ok(from !== -1 && to > from, `README.md needs the ${name} markers`);
      const current = text.slice(from + start.length, to);
      const expected = generate();
      if (process.env.UPDATE_README === '1' && current !== expected) {
        writeFileSync(README, text.slice(0, from + start.length) + expected + text.slice(to));
        return;
      }
      assert.equal(current, expected, `regenerate with UPDATE_README=1`);
    });
  }
});

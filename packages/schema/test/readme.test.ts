/** The README's attribute reference is generated from ATTRIBUTE_DOCS; UPDATE_README=1 rewrites it. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import {
  ATTRIBUTE_DOCS,
  ATTRIBUTE_PREFIX_DOCS,
  type AttributeDoc,
  type AttributePlace,
} from '@egressguard/schema';

const README = new URL('../README.md', import.meta.url);
const START = '<!-- attributes:start -->';
const END = '<!-- attributes:end -->';

const SECTIONS: [AttributePlace, string][] = [
  ['resource', 'Resource'],
  ['connection', 'Connection records (`egressguard.connection`)'],
  ['process', 'Process records (`egressguard.process.exec`, `egressguard.process.exit`)'],
  ['http_flow', 'Flow records (`egressguard.http_flow`)'],
  ['detection', 'Detection records (`egressguard.detection`)'],
  ['coverage', 'Coverage records (`egressguard.coverage`)'],
];

function row(doc: AttributeDoc): string {
  const readers = doc.readBy.length ? doc.readBy.join(', ') : '—';
  return `| \`${doc.name}\` | ${doc.type} | ${doc.unit || ''} | ${doc.brief.replace(/\|/g, '\\|')} | ${doc.writtenBy.join(', ')} | ${readers} |`;
}

function reference(): string {
  const docs: readonly AttributeDoc[] = [...ATTRIBUTE_DOCS, ...ATTRIBUTE_PREFIX_DOCS];
  const out: string[] = [];
  for (const [place, title] of SECTIONS) {
    // Each name is listed under the first place it lives in, so the reference has every name exactly once.
    const here = docs.filter((d) => d.places[0] === place);
    if (here.length === 0) continue;
    out.push(
      `### ${title}`,
      '',
      '| name | type | unit | meaning | written by | read by |',
      '| --- | --- | --- | --- | --- | --- |',
      ...here.map(row),
      '',
    );
  }
  return out.join('\n').trim();
}

describe('README', () => {
  it('documents every attribute as ATTRIBUTE_DOCS says (regenerate with UPDATE_README=1)', () => {
    const text = readFileSync(README, 'utf8');
    const start = text.indexOf(START);
    const end = text.indexOf(END);
    assert.ok(start !== -1 && end > start, 'README.md needs the attribute markers');
    const current = text.slice(start + START.length, end).trim();
    const expected = reference();
    if (process.env.UPDATE_README === '1' && current !== expected) {
      writeFileSync(README, `${text.slice(0, start + START.length)}\n${expected}\n${text.slice(end)}`);
      return;
    }
    assert.equal(current, expected);
  });
});

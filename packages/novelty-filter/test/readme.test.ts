import { join } from 'node:path';
import { describe, it } from 'node:test';

import { assertGeneratedSection, assertProcessorReadme } from '@egressguard/core/testing';

import { noveltyFilterFactory } from '../src/index.ts';
import { BUILTIN_ALLOWLIST, EXCLUDED_SOFTWARE } from '../src/internal/builtin-allowlist.ts';

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

describe('README', () => {
  it('has the processor sections, and its contract and configuration table are current', () => {
    assertProcessorReadme(README, [noveltyFilterFactory]);
  });
  it('allowlist table is current', () => {
    assertGeneratedSection(README, 'allowlist-table', allowlistTable());
  });
});

/**
 * The schema README's attribute reference: names, types, units and meanings from the schema's ATTRIBUTE_DOCS, and
 * the "written by" and "read by" columns from every processor's own definition (its contract), so that the two can
 * never disagree. `UPDATE_README=1` rewrites it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { contractNames, type ProcessorMetadata } from '@egressguard/core';
import { assertGeneratedSection } from '@egressguard/core/testing';
import {
  ATTRIBUTE_DOCS,
  ATTRIBUTE_PREFIX_DOCS,
  CoverageAttr,
  type AttributeDoc,
  type AttributePlace,
} from '@egressguard/schema';

import { createProcessorRegistry } from '../src/processor-registry.ts';

const README = new URL('../../schema/README.md', import.meta.url);

/**
 * Attributes written outside the processors: the eBPF receiver's sensor-down reports. (The malformed count is the
 * coverage report's own, from the `egressguard.unreadable_input` records normalize and the replay reader write.)
 */
const WRITTEN_OUTSIDE: Readonly<Record<string, string>> = {
  [CoverageAttr.SENSOR_DOWN_MS]: '(ebpf receiver)',
  [CoverageAttr.SENSOR_DOWN_REASON]: '(ebpf receiver)',
};

const SECTIONS: [AttributePlace, string][] = [
  ['resource', 'Resource'],
  ['connection', 'Connection records (`egressguard.connection`)'],
  ['process', 'Process records (`egressguard.process.exec`, `egressguard.process.exit`)'],
  ['http_flow', 'Flow records (`egressguard.http_flow`)'],
  ['detection', 'Detection records (`egressguard.detection`)'],
  ['coverage', 'Coverage records (`egressguard.coverage`)'],
  ['unreadable_input', 'Unreadable-input records (`egressguard.unreadable_input`)'],
];

/** Who writes and who reads one attribute, by the processors' contracts. */
function stagesOf(metadata: readonly ProcessorMetadata[], name: string, side: 'reads' | 'writes'): string[] {
  return metadata.filter((m) => contractNames(m[side]).includes(name)).map((m) => m.type);
}

function reference(metadata: readonly ProcessorMetadata[]): string {
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
      ...here.map((doc) => {
        const writers = stagesOf(metadata, doc.name, 'writes');
        // Resource attributes come with the telemetry: the sensor or the agent that sends it sets them.
        if (writers.length === 0 && doc.places.includes('resource')) writers.push('(the sensor)');
        if (WRITTEN_OUTSIDE[doc.name]) writers.push(WRITTEN_OUTSIDE[doc.name]);
        const readers = stagesOf(metadata, doc.name, 'reads');
        return `| \`${doc.name}\` | ${doc.type} | ${doc.unit || ''} | ${doc.brief.replace(/\|/g, '\\|')} | ${writers.join(', ') || '—'} | ${readers.join(', ') || '—'} |`;
      }),
      '',
    );
  }
  return out.join('\n').trim();
}

describe('the schema attribute reference', () => {
  const metadata = createProcessorRegistry()
    .list()
    .map((f) => f.metadata);

  it('is generated from the schema docs and the processors contracts (UPDATE_README=1 regenerates)', () => {
    assertGeneratedSection(README, 'attributes', reference(metadata));
  });

  it('names a writer for every attribute of a record a processor writes', () => {
    const written = new Set(metadata.flatMap((m) => contractNames(m.writes)));
    const unwritten = [...ATTRIBUTE_DOCS, ...ATTRIBUTE_PREFIX_DOCS]
      .filter((doc) => !doc.places.includes('resource') && !written.has(doc.name))
      .filter((doc) => WRITTEN_OUTSIDE[doc.name] === undefined)
      .map((doc) => doc.name);
    assert.deepEqual(unwritten, [], 'documented attributes that no processor declares it writes');
  });
});

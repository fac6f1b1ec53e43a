/**
 * Every OpenTelemetry Collector configuration we ship passes the real Collector's `otelcol validate`: the example
 * files (`examples/*\/otelcol*.yaml`) and the Collector snippets of the examples' READMEs, each layered on its
 * example's file as a user would add it (the Collector merges `--config` files in order).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';

import { parse } from 'yaml';

import { findCollector } from './collector/otelcol.ts';

const ROOT = join(import.meta.dirname, '..');
const EXAMPLES = join(ROOT, 'examples');

/** Values for the `${env:…}` references that have no default (the Collector resolves unset ones to ""). */
const ENV = { HOSTNAME: 'validate-host' };

/** The Collector configuration files of each example. */
function collectorFiles(): { example: string; file: string }[] {
  return readdirSync(EXAMPLES).flatMap((example) =>
    readdirSync(join(EXAMPLES, example))
      .filter((f) => /^otelcol.*\.ya?ml$/.test(f))
      .map((f) => ({ example, file: join(EXAMPLES, example, f) })),
  );
}

/** The README's YAML blocks that are Collector configuration (Collector sections, no egressguard stage). */
function readmeSnippets(example: string): string[] {
  let text: string;
  try {
    text = readFileSync(join(EXAMPLES, example, 'README.md'), 'utf8');
  } catch {
    return [];
  }
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((m) => m[1])
    .filter((block) => {
      const doc = parse(block) as Record<string, unknown> | null;
      if (!doc || typeof doc !== 'object') return false;
      const processors = Object.keys((doc.processors as Record<string, unknown> | undefined) ?? {});
      const egressguardStage = processors.some((p) =>
        /^(normalize|process_attribution|coverage_report|http_flow_aggregator|novelty_filter|ratio_detector)(\/|$)/.test(
          p,
        ),
      );
      return !egressguardStage && ('receivers' in doc || 'exporters' in doc || 'service' in doc);
    });
}

function validate(binary: string, files: string[]): { status: number | null; output: string } {
  const run = spawnSync(binary, ['validate', ...files.map((f) => `--config=${f}`)], {
    encoding: 'utf8',
    env: { ...process.env, ...ENV },
    timeout: 120_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

describe('Collector configurations we ship pass `otelcol validate`', () => {
  const collector = findCollector();
  const files = collectorFiles();
  const dir = mkdtempSync(join(tmpdir(), 'egressguard-otelcol-validate-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the example Collector files', () => {
    assert.deepEqual(files.map((f) => `${f.example}/${f.file.slice(f.file.lastIndexOf('/') + 1)}`).sort(), [
      'collector-auditd/otelcol.yaml',
      'collector-scale-out/otelcol-gateway.yaml',
    ]);
  });

  for (const { example, file } of files) {
    const name = `${example}/${file.slice(file.lastIndexOf('/') + 1)}`;
    it(name, { skip: collector.skip }, () => {
      const result = validate(collector.path!, [file]);
      assert.equal(result.status, 0, `otelcol validate ${name}:\n${result.output}`);
    });

    readmeSnippets(example).forEach((snippet, i) => {
      it(`${example}/README.md Collector snippet ${i + 1}, on ${name}`, { skip: collector.skip }, () => {
        const path = join(dir, `${example}-snippet-${i + 1}.yaml`);
        // The snippet's ${env:…} references are the user's own (a backend token): give them a value.
        writeFileSync(path, snippet.replace(/\$\{env:([A-Z0-9_]+)\}/g, 'placeholder-$1'));
        const result = validate(collector.path!, [file, path]);
        assert.equal(
          result.status,
          0,
          `otelcol validate ${name} + README snippet ${i + 1}:\n${result.output}`,
        );
      });
    });
  }
});

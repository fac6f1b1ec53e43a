/**
 * The README stays true: its configuration tables and default configuration are the generated ones, and its full
 * example configuration validates.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { configRows, configTable } from '@egressguard/core';
import { SENSOR_FORMAT_NAMES } from '@egressguard/normalize';

import {
  fileExporterConfig,
  otlpGrpcExporterConfig,
  otlpHttpExporterConfig,
  otlpReceiverConfig,
  serviceConfig,
  stdoutExporterConfig,
} from '../src/config/components.ts';
import {
  auditdReceiverConfig,
  ebpfReceiverConfig,
  procfsReceiverConfig,
} from '../src/host-receivers/index.ts';
import { defaultConfigYaml } from '../src/config/default-config.ts';
import { parseConfigText } from '../src/config/load-config.ts';
import { createProcessorRegistry } from '../src/processor-registry.ts';
import { checkConstruction } from '../src/runtime/pipelines.ts';

const README = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md'), 'utf8');

function between(start: string, end: string): string {
  const i = README.indexOf(start);
  const j = README.indexOf(end);
  assert.ok(i >= 0 && j > i, `README has ${start} … ${end}`);
  return README.slice(i + start.length, j).trim();
}

describe('README', () => {
  const tables = {
    otlp: otlpReceiverConfig,
    ebpf: ebpfReceiverConfig,
    auditd: auditdReceiverConfig,
    procfs: procfsReceiverConfig,
    'otlp-exporter': otlpGrpcExporterConfig,
    otlphttp: otlpHttpExporterConfig,
    stdout: stdoutExporterConfig,
    file: fileExporterConfig,
    service: serviceConfig,
  };
  for (const [name, definition] of Object.entries(tables)) {
    it(`has the current ${name} configuration table`, () => {
      assert.equal(
        between(`<!-- config-table:${name}:start -->`, `<!-- config-table:${name}:end -->`),
        configTable(configRows(definition.jsonSchema())),
      );
    });
  }

  it('shows the current default configuration', () => {
    assert.equal(
      between('<!-- default-config:start -->', '<!-- default-config:end -->'),
      `\`\`\`yaml\n${defaultConfigYaml({})}\`\`\``,
    );
  });

  it('has a full example configuration that validates', async () => {
    const section = README.slice(README.indexOf('## Configuration file'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)![1];
    const config = parseConfigText(example, {
      registry: createProcessorRegistry(),
      env: { EGRESSGUARD_TOKEN: 't' },
      cwd: '/',
    });
    assert.deepEqual([...config.processors.keys()].length, 7);
    await checkConstruction(config);
  });

  it('names only sensor formats that exist', () => {
    for (const name of ['auditd', 'sysmon', 'tetragon', 'falco', 'zeek', 'auditbeat', 'tcplife', 'ss']) {
      assert.ok(
        SENSOR_FORMAT_NAMES.includes(name),
        `${name} is a sensor format (known: ${SENSOR_FORMAT_NAMES.join(', ')})`,
      );
    }
  });
});

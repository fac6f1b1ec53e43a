/**
 * The README stays true: its configuration tables and default configuration are the generated ones, and its full
 * example configuration validates.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { assertGeneratedSection, assertReadmeConfigTable } from '@egressguard/core/testing';
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

const README_URL = new URL('../README.md', import.meta.url);
const README = readFileSync(README_URL, 'utf8');

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
      assertReadmeConfigTable(README_URL, name, definition);
    });
  }

  it('shows the current default configuration', () => {
    assertGeneratedSection(README_URL, 'default-config', `\`\`\`yaml\n${defaultConfigYaml({})}\`\`\``);
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

/**
 * Exporters' `sending_queue` and `retry_on_failure`: defaults per exporter type, validation naming the key, and
 * what the runtime builds from them (where a file queue lives).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';

import { ConfigError } from '@egressguard/core';

import { parseConfigText } from '../../src/config/load-config.ts';
import { createQueuedExporter, queueDirectory } from '../../src/runtime/exporters.ts';
import { testRegistry } from '../support/test-processors.ts';

function config(exporters: string) {
  return parseConfigText(
    `receivers:
  otlp:
exporters:
${exporters}
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [${[...exporters.matchAll(/^ {2}(\S+):/gm)].map((m) => m[1]).join(', ')}]
`,
    { registry: testRegistry(), env: {}, cwd: '/srv/eg' },
  );
}

function problems(exporters: string): string[] {
  try {
    config(exporters);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

describe('exporters: sending_queue and retry_on_failure', () => {
  it('defaults: a file queue for otlphttp, memory for stdout and file; the Collector’s retry settings', () => {
    const c = config(
      '  otlphttp:\n    endpoint: http://127.0.0.1:4318\n  stdout:\n  file/archive:\n    path: out.jsonl',
    );
    const otlp = c.exporters.get('otlphttp')!.config as Record<string, unknown>;
    assert.deepEqual(otlp.sending_queue, {
      storage: 'file',
      batch: { flush_timeout: '1s', max_records: 1000 },
    });
    assert.deepEqual(otlp.retry_on_failure, {
      enabled: true,
      initial_interval: '5s',
      max_interval: '30s',
      max_elapsed_time: '300s',
      multiplier: 1.5,
      randomization_factor: 0.5,
    });
    for (const id of ['stdout', 'file/archive'])
      assert.equal(
        (c.exporters.get(id)!.config as { sending_queue: { storage: string } }).sending_queue.storage,
        'memory',
        id,
      );
  });

  it('rejects unknown keys and bad values, naming the key', () => {
    const cases: [string, RegExp][] = [
      [
        '    sending_queue:\n      enabled: false',
        /^exporters\.otlphttp\.sending_queue\.enabled: unknown key$/,
      ],
      [
        '    sending_queue:\n      queue_size: 1000',
        /^exporters\.otlphttp\.sending_queue\.queue_size: unknown key$/,
      ],
      ['    sending_queue:\n      storage: disk', /^exporters\.otlphttp\.sending_queue\.storage: /],
      [
        '    sending_queue:\n      queue_size_bytes: 0',
        /^exporters\.otlphttp\.sending_queue\.queue_size_bytes: /,
      ],
      [
        '    sending_queue:\n      batch: { max_records: 0 }',
        /^exporters\.otlphttp\.sending_queue\.batch\.max_records: /,
      ],
      [
        '    retry_on_failure:\n      initial_interval: 5 seconds',
        /^exporters\.otlphttp\.retry_on_failure\.initial_interval: must be a duration/,
      ],
      [
        '    retry_on_failure:\n      max_elapsed_time: forever',
        /^exporters\.otlphttp\.retry_on_failure\.max_elapsed_time: must be a duration/,
      ],
      [
        '    retry_on_failure:\n      multiplier: 0.5',
        /^exporters\.otlphttp\.retry_on_failure\.multiplier: /,
      ],
      [
        '    retry_on_failure:\n      randomization_factor: 1',
        /^exporters\.otlphttp\.retry_on_failure\.randomization_factor: /,
      ],
      [
        '    retry_on_failure:\n      initial_interval: 1m\n      max_interval: 30s',
        /^exporters\.otlphttp\.retry_on_failure\.max_interval: max_interval must not be shorter than initial_interval$/,
      ],
      [
        '    retry_on_failure:\n      max_retries: 3',
        /^exporters\.otlphttp\.retry_on_failure\.max_retries: unknown key$/,
      ],
      ['    compression: br', /^exporters\.otlphttp\.compression: /],
    ];
    for (const [yaml, expected] of cases) {
      const found = problems(`  otlphttp:\n    endpoint: http://127.0.0.1:4318\n${yaml}`);
      assert.equal(found.length, 1, `${yaml}: ${found.join('; ')}`);
      assert.match(found[0], expected, yaml);
    }
    assert.deepEqual(
      problems('  otlphttp:\n    retry_on_failure:\n      max_elapsed_time: 0s'),
      [],
      '0s: for ever',
    );
  });

  it('puts a file queue under the state directory, one directory per exporter, and reopens it', async () => {
    const state = mkdtempSync(join(tmpdir(), 'egressguard-exporter-queue-'));
    try {
      const c = config(
        '  otlphttp/primary:\n    endpoint: http://127.0.0.1:9\n' +
          '    sending_queue: { queue_size_bytes: 1048576 }\n' +
          '  stdout:\n    sending_queue: { storage: file }',
      );
      const streams = { stdout: new PassThrough() };
      for (const id of ['otlphttp/primary', 'stdout']) {
        const e = await createQueuedExporter(c.exporters.get(id)!, state, streams);
        assert.equal(e.queue.freeBytes(), id === 'stdout' ? 256 * 1024 * 1024 : 1048576, id);
        await e.queue.shutdown();
        await e.close();
      }
      assert.deepEqual(readdirSync(join(state, 'queues')).sort(), ['otlphttp~primary', 'stdout']);
      assert.equal(queueDirectory(state, 'otlphttp/primary'), join(state, 'queues', 'otlphttp~primary'));
      const memory = config('  stdout:');
      const e = await createQueuedExporter(memory.exporters.get('stdout')!, join(state, 'unused'), streams);
      assert.equal(e.queue.freeBytes(), 32 * 1024 * 1024);
      await e.queue.shutdown();
      assert.deepEqual(readdirSync(state), ['queues'], 'a memory queue writes nothing');
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  it('names the exporter when its queue directory cannot be used', async () => {
    const state = mkdtempSync(join(tmpdir(), 'egressguard-exporter-queue-'));
    try {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(state, 'queues'), 'a file in the way');
      const c = config('  otlphttp:\n    endpoint: http://127.0.0.1:9');
      await assert.rejects(
        createQueuedExporter(c.exporters.get('otlphttp')!, state, { stdout: new PassThrough() }),
        new RegExp(
          `exporters\\.otlphttp: sending queue in ${join(state, 'queues', 'otlphttp')} cannot be opened`,
        ),
      );
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });
});

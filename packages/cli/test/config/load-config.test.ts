import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ConfigError } from '@egressguard/core';

import { parseConfigText } from '../../src/config/load-config.ts';
import { testRegistry } from '../support/test-processors.ts';

const VALID = `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:4318
processors:
  tagger:
    tag: one
  tagger/second:
    tag: two
exporters:
  stdout: {}
  file/archive:
    path: out.jsonl
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [tagger, tagger/second]
      exporters: [stdout, file/archive]
`;

function parse(text: string, env: Record<string, string> = {}) {
  return parseConfigText(text, { registry: testRegistry(), env, cwd: '/srv/eg' });
}

/** The problems a configuration has, as `path: message` strings. */
function problems(text: string, env: Record<string, string> = {}): string[] {
  try {
    parse(text, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

describe('parseConfigText', () => {
  it('accepts a valid configuration and applies every default', () => {
    const c = parse(VALID);
    assert.deepEqual(c.pipelines, [
      {
        id: 'logs',
        receivers: ['otlp'],
        processors: ['tagger', 'tagger/second'],
        exporters: ['stdout', 'file/archive'],
      },
    ]);
    assert.deepEqual(c.receivers.get('otlp')!.config, {
      protocols: {
        http: { endpoint: '127.0.0.1:4318', max_request_body_size: 20971520, max_in_flight_requests: 64 },
      },
    });
    assert.deepEqual(c.processors.get('tagger')!.config, { tag: 'one', limits: { max_records: 10 } });
    assert.deepEqual(c.processors.get('tagger/second')!.config, { tag: 'two', limits: { max_records: 10 } });
    assert.equal(c.exporters.get('file/archive')!.type, 'file');
    assert.equal(
      c.state.path,
      '/srv/eg/.egressguard/state',
      'the state directory is relative to the working directory',
    );
    assert.equal(c.state.explicit, false);
  });

  it('reads JSON as well as YAML', () => {
    const json = JSON.stringify({
      receivers: { otlp: {} },
      processors: { tagger: null },
      exporters: { stdout: null },
      service: {
        state: { directory: '/var/lib/eg' },
        pipelines: { logs: { receivers: ['otlp'], processors: ['tagger'], exporters: ['stdout'] } },
      },
    });
    const c = parse(json);
    assert.equal(c.state.path, '/var/lib/eg');
    assert.equal(c.state.explicit, true);
    assert.deepEqual(c.processors.get('tagger')!.config, { tag: 'seen', limits: { max_records: 10 } });
  });

  const cases: {
    name: string;
    edit: (t: string) => string;
    env?: Record<string, string>;
    expect: string[];
  }[] = [
    {
      name: 'unknown top-level key',
      edit: (t) => `${t}\nrecievers: {}\n`,
      expect: ['recievers: unknown key (expected receivers, processors, exporters, service)'],
    },
    {
      name: 'unknown key deep in a receiver',
      edit: (t) => t.replace('endpoint: 127.0.0.1:4318', 'endpoint: 127.0.0.1:4318\n        max_body: 5'),
      expect: ['receivers.otlp.protocols.http.max_body: unknown key'],
    },
    {
      name: 'unknown key in a processor, named with its component id',
      edit: (t) => t.replace('tag: two', 'tag: two\n    colour: red'),
      expect: ['processors.tagger/second.colour: unknown key'],
    },
    {
      name: 'unknown key nested in a processor',
      edit: (t) => t.replace('tag: one', 'tag: one\n    limits:\n      max_recs: 3'),
      expect: ['processors.tagger.limits.max_recs: unknown key'],
    },
    {
      name: 'unknown key in an exporter',
      edit: (t) => t.replace('path: out.jsonl', 'path: out.jsonl\n    rotation: {}'),
      expect: ['exporters.file/archive.rotation: unknown key'],
    },
    {
      name: 'unknown key in a pipeline',
      edit: (t) =>
        t.replace(
          '      exporters: [stdout, file/archive]',
          '      exporters: [stdout, file/archive]\n      procesors: []',
        ),
      expect: ['service.pipelines.logs.procesors: unknown key'],
    },
    {
      name: 'negative size names the constraint',
      edit: (t) => t.replace('endpoint: 127.0.0.1:4318', 'max_request_body_size: -5'),
      expect: ['receivers.otlp.protocols.http.max_request_body_size: Too small: expected number to be >0'],
    },
    {
      name: 'malformed endpoint',
      edit: (t) => t.replace('endpoint: 127.0.0.1:4318', 'endpoint: localhost'),
      expect: [
        'receivers.otlp.protocols.http.endpoint: must be host:port (for example 127.0.0.1:4318 or [::1]:4318) with a port from 0 to 65535',
      ],
    },
    {
      name: 'enum value outside its options',
      edit: (t) =>
        t.replace('  stdout: {}', '  stdout: {}\n  otlphttp:\n    encoding: xml\n    timeout: 10 seconds'),
      expect: [
        'exporters.otlphttp.encoding: Invalid option: expected one of "proto"|"json"',
        'exporters.otlphttp.timeout: must be a duration above 0: an integer with unit ms, s, m or h (for example 10s)',
      ],
    },
    {
      name: 'processor option of the wrong type',
      edit: (t) => t.replace('tag: one', 'tag: 7'),
      expect: ['processors.tagger.tag: Invalid input: expected string, received number'],
    },
    {
      name: 'missing environment variable is named',
      edit: (t) => t.replace('tag: one', 'tag: ${env:EG_TAG}'),
      expect: [
        'line 9: environment variable EG_TAG is not set and has no default (write ${env:EG_TAG:-default})',
      ],
    },
    {
      name: 'pipeline referencing an undefined processor',
      edit: (t) => t.replace('processors: [tagger, tagger/second]', 'processors: [tagger, tagger/third]'),
      expect: ['service.pipelines.logs.processors[1]: processor "tagger/third" is not defined in processors'],
    },
    {
      name: 'pipeline referencing an undefined receiver and exporter',
      edit: (t) =>
        t
          .replace('receivers: [otlp]', 'receivers: [otlp/b]')
          .replace('exporters: [stdout, file/archive]', 'exporters: [debug]'),
      expect: [
        'service.pipelines.logs.receivers[0]: receiver "otlp/b" is not defined in receivers',
        'service.pipelines.logs.exporters[0]: exporter "debug" is not defined in exporters',
      ],
    },
    {
      name: 'unknown processor type lists the known ones (and the pipeline does not complain twice)',
      edit: (t) =>
        t
          .replace('  tagger/second:', '  batch:\n  tagger/second:')
          .replace('[tagger, tagger/second]', '[batch, tagger/second]'),
      expect: ['processors.batch: unknown processor type "batch" (known: tagger)'],
    },
    {
      name: 'a non-logs pipeline',
      edit: (t) => t.replace('    logs:\n', '    traces:\n'),
      expect: [
        'service.pipelines.traces: pipeline ids are `logs` or `logs/<name>`: egressguard processes logs only',
      ],
    },
    {
      name: 'a pipeline without receivers or exporters',
      edit: (t) =>
        t
          .replace('receivers: [otlp]', 'receivers: []')
          .replace('exporters: [stdout, file/archive]', 'exporters: []'),
      expect: [
        'service.pipelines.logs.receivers: a pipeline needs at least one receiver',
        'service.pipelines.logs.exporters: a pipeline needs at least one exporter',
      ],
    },
    {
      name: 'a processor listed twice in one pipeline',
      edit: (t) => t.replace('[tagger, tagger/second]', '[tagger, tagger]'),
      expect: ['service.pipelines.logs.processors[1]: processor "tagger" is listed twice'],
    },
    {
      name: 'several problems are all reported',
      edit: (t) => t.replace('tag: one', 'tag: ""').replace('path: out.jsonl', 'paht: out.jsonl'),
      expect: [
        'exporters.file/archive.path: Invalid input: expected string, received undefined',
        'exporters.file/archive.paht: unknown key',
        'processors.tagger.tag: Too small: expected string to have >=1 characters',
      ],
    },
    {
      name: 'no service section',
      edit: (t) => t.slice(0, t.indexOf('service:')),
      expect: ['service.pipelines: required: at least one pipeline (service.pipelines.logs)'],
    },
    {
      name: 'duplicate key',
      edit: (t) => t.replace('  stdout: {}', '  stdout: {}\n  stdout: {}'),
      expect: ['line 14: Map keys must be unique'],
    },
  ];
  for (const c of cases) {
    it(`rejects: ${c.name}`, () => {
      assert.deepEqual(problems(c.edit(VALID), c.env).sort(), [...c.expect].sort());
    });
  }

  it('substitutes ${env:…} before parsing, defaults included', () => {
    const text = VALID.replace(
      'endpoint: 127.0.0.1:4318',
      'endpoint: ${env:EG_HOST}:${env:EG_PORT:-4319}',
    ).replace('tag: one', 'tag: "${env:EG_TAG}"');
    const c = parse(text, { EG_HOST: '0.0.0.0', EG_TAG: 'from-env' });
    const http = (c.receivers.get('otlp')!.config as { protocols: { http: { endpoint: string } } }).protocols
      .http;
    assert.equal(http.endpoint, '0.0.0.0:4319');
    assert.equal((c.processors.get('tagger')!.config as { tag: string }).tag, 'from-env');
  });

  it('requires no receivers or exporters when asked not to (replay)', () => {
    const c = parseConfigText('processors: {}\nservice:\n  pipelines:\n    logs: {}\n', {
      registry: testRegistry(),
      env: {},
      requireEnds: false,
    });
    assert.deepEqual(c.pipelines, [{ id: 'logs', receivers: [], processors: [], exporters: [] }]);
  });
});

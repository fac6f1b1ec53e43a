/** Host roles: inventory (inline and file, glob patterns), resource attributes, defaults, overrides, disabling. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { hostResource } from '@egressguard/core/testing';
import { DetectionAttr, ResourceAttr } from '@egressguard/schema';

import { compileHostPattern } from '../../src/internal/host-pattern.ts';
import { flow } from '../flow-builder.ts';
import { detector, run } from '../run.ts';

const ROLES = {
  server: { thresholds: { min_connections: 50 } },
  build: { enabled: false },
};

const dir = mkdtempSync(join(tmpdir(), 'ratio-detector-roles-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

void describe('host roles', () => {
  const table: {
    name: string;
    host: string;
    resource?: Record<string, string>;
    config?: Record<string, unknown>;
    role: string | null;
    counter?: string;
  }[] = [
    { name: 'no role anywhere: default role, default thresholds', host: 'ws-1', role: 'default' },
    {
      name: 'egressguard.host.role selects the role',
      host: 'ws-1',
      resource: { [ResourceAttr.HOST_ROLE]: 'workstation' },
      role: 'workstation',
    },
    {
      name: 'role override raises min_connections: 40 is too few on a server',
      host: 'api-1',
      resource: { [ResourceAttr.HOST_ROLE]: 'server' },
      role: null,
      counter: 'too_few_connections',
    },
    {
      name: 'roles match case-insensitively',
      host: 'api-1',
      resource: { [ResourceAttr.HOST_ROLE]: 'SERVER' },
      role: null,
      counter: 'too_few_connections',
    },
    {
      name: 'host.type is read when egressguard.host.role is absent',
      host: 'api-1',
      resource: { [ResourceAttr.HOST_TYPE]: 'server' },
      role: null,
      counter: 'too_few_connections',
    },
    {
      name: 'egressguard.host.role comes before host.type',
      host: 'api-1',
      resource: { [ResourceAttr.HOST_ROLE]: 'workstation', [ResourceAttr.HOST_TYPE]: 'server' },
      role: 'workstation',
    },
    {
      name: 'role disabled: nothing runs',
      host: 'b-1',
      resource: { [ResourceAttr.HOST_ROLE]: 'build' },
      role: null,
      counter: 'role_disabled',
    },
    {
      name: 'inline inventory glob selects a disabled role',
      host: 'build-07',
      config: { inventory: [{ host: 'build-*', role: 'build' }] },
      role: null,
      counter: 'role_disabled',
    },
    {
      name: 'inventory wins over the resource attribute',
      host: 'build-07',
      resource: { [ResourceAttr.HOST_ROLE]: 'workstation' },
      config: { inventory: [{ host: 'BUILD-0?', role: 'build' }] },
      role: null,
      counter: 'role_disabled',
    },
    {
      name: 'a non-matching pattern leaves the default',
      host: 'web-1',
      config: { inventory: [{ host: 'build-[0-9]*', role: 'build' }] },
      role: 'default',
    },
    {
      name: 'default_role names unmatched hosts',
      host: 'web-1',
      config: { default_role: 'workstation' },
      role: 'workstation',
    },
  ];
  for (const c of table) {
    void it(c.name, async () => {
      const resource = hostResource(c.host, c.resource ?? {});
      const { detections, counters } = await run({ roles: ROLES, ...c.config }, [
        flow({ host: c.host, resource }),
      ]);
      if (c.role === null) assert.equal(detections.length, 0);
      else {
        assert.equal(detections.length, 1);
        assert.equal(detections[0].attributes[DetectionAttr.HOST_ROLE], c.role);
      }
      if (c.counter) assert.equal(counters.events[c.counter], 1, JSON.stringify(counters.events));
    });
  }

  void it('a server role with its own threshold fires above it, and the detection carries the threshold used', async () => {
    const resource = hostResource('api-1', { [ResourceAttr.HOST_ROLE]: 'server' });
    const { detections } = await run({ roles: ROLES }, [flow({ external: 50, resource })]);
    assert.equal(detections[0].attributes[`${DetectionAttr.THRESHOLD_PREFIX}min_connections`], 50);
  });

  void it('reads an inventory file at construction', async () => {
    const path = file(
      'inventory.json',
      JSON.stringify([
        { host: 'api-*', role: 'server' },
        { host: '*', role: 'workstation' },
      ]),
    );
    const resource = hostResource('api-9');
    const a = await run({ roles: ROLES, inventory_file: path }, [flow({ external: 40, resource })]);
    assert.equal(a.detections.length, 0);
    const b = await run({ roles: ROLES, inventory_file: path }, [flow({ host: 'laptop-3' })]);
    assert.equal(b.detections[0].attributes[DetectionAttr.HOST_ROLE], 'workstation');
  });

  const errors: { name: string; text: string | null; match: RegExp }[] = [
    { name: 'missing file', text: null, match: /inventory_file: .*missing\.json: cannot read/ },
    { name: 'not JSON', text: '[{', match: /inventory_file: .*bad-json\.json: not valid JSON/ },
    { name: 'not an array', text: '{"host":"a","role":"b"}', match: /must hold a JSON array/ },
    {
      name: 'entry without role',
      text: '[{"host":"a","role":"b"},{"host":"c"}]',
      match: /entry \[1\]: role: /,
    },
    {
      name: 'entry with an unknown key',
      text: '[{"host":"a","role":"b","site":"x"}]',
      match: /entry \[0\]: site: unknown key/,
    },
    {
      name: 'unclosed class',
      text: '[{"host":"web-[0-9","role":"b"}]',
      match: /entry \[0\]: unclosed "\[" at position 4/,
    },
  ];
  for (const e of errors) {
    void it(`inventory file error names the file and entry: ${e.name}`, () => {
      const name =
        e.text === null
          ? 'missing.json'
          : `${e.name.replace(/ /g, '-')}.json`.replace('not-JSON', 'bad-json');
      const path = e.text === null ? join(dir, name) : file(name, e.text);
      assert.throws(
        () => detector({ inventory_file: path }),
        (error: Error) => {
          assert.match(error.message, e.match);
          assert.ok(error.message.includes(path), error.message);
          return true;
        },
      );
    });
  }

  void it('inline inventory with a bad pattern names its entry', () => {
    assert.throws(
      () =>
        detector({
          inventory: [
            { host: 'ok', role: 'a' },
            { host: '[abc', role: 'b' },
          ],
        }),
      /inventory\[1\]\.host: unclosed/,
    );
  });

  void it('host patterns: *, ?, classes, negation, literal dots, whole-name match', () => {
    const cases: [string, string, boolean][] = [
      ['build-*', 'build-17', true],
      ['build-*', 'xbuild-17', false],
      ['web-?', 'web-1', true],
      ['web-?', 'web-12', false],
      ['db-[0-9]', 'db-4', true],
      ['db-[!0-9]', 'db-4', false],
      ['db-[!0-9]', 'db-x', true],
      ['a.example', 'aXexample', false],
      ['*.corp.example', 'ws1.corp.example', true],
      ['API-*', 'api-1', true],
      ['DB-[A-C]*', 'db-b1', true],
      ['x{a,b}', 'xa', false],
      ['x{a,b}', 'x{a,b}', true],
      ['ws-(1)+', 'ws-(1)+', true],
    ];
    for (const [pattern, host, expected] of cases)
      assert.equal(compileHostPattern(pattern).test(host), expected, `${pattern} ~ ${host}`);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Allowlist } from '../../src/internal/allowlist.ts';
import { BUILTIN_ALLOWLIST } from '../../src/internal/builtin-allowlist.ts';
import { globToRegExp } from '../../src/internal/glob.ts';

const builtin = new Allowlist([{ prefix: 'builtin', entries: BUILTIN_ALLOWLIST }]);

describe('globToRegExp', () => {
  it('matches * within a segment, ** across, and {a,b}', () => {
    assert.ok(globToRegExp('/snap/*/usr/bin/x').test('/snap/12/usr/bin/x'));
    assert.ok(!globToRegExp('/snap/*/usr/bin/x').test('/snap/12/13/usr/bin/x'));
    assert.ok(globToRegExp('/opt/**/agent').test('/opt/a/b/agent'));
    assert.ok(globToRegExp('/opt/**/agent').test('/opt/agent'));
    assert.ok(globToRegExp('/usr/lib/apt/methods/{http,https}').test('/usr/lib/apt/methods/https'));
    assert.ok(!globToRegExp('/usr/lib/apt/methods/{http,https}').test('/usr/lib/apt/methods/ftp'));
    assert.ok(!globToRegExp('/a.b').test('/axb'), 'dots are literal');
    assert.throws(() => globToRegExp('/a/{b'), /unbalanced/);
    assert.throws(() => globToRegExp('/a/b}'), /unbalanced/);
  });

  it('matches case-sensitively, dot files under *, and everything but * ? {} literally', () => {
    assert.ok(!globToRegExp('/usr/local/bin/otelcol*').test('/usr/local/bin/OTELCOL'), 'case-sensitive');
    assert.ok(globToRegExp('/opt/*/agent').test('/opt/.hidden/agent'), '* matches a dot file');
    assert.ok(globToRegExp('/opt/**/agent').test('/opt/.a/.b/agent'), '** crosses dot folders');
    assert.ok(!globToRegExp('/a?c').test('/a/c'), '? stays within a segment');
    assert.ok(globToRegExp('/x/(y)/*').test('/x/(y)/q'), 'parentheses are literal');
    assert.ok(!globToRegExp('/x/(y)/*').test('/x/y/q'));
    assert.ok(globToRegExp('/x/[ab]/+(a)!').test('/x/[ab]/+(a)!'), 'brackets, extglob and ! are literal');
    assert.ok(!globToRegExp('/x/[ab]/z').test('/x/a/z'));
    assert.ok(globToRegExp('/x/{a,b}/**/c').test('/x/b/q/r/c'));
    assert.ok(!globToRegExp('/x/{a,b}/**/c').test('/x/c/q/c'));
  });
});

describe('Allowlist', () => {
  it('matches the built-in entries on their install paths (merged /usr aliases included)', () => {
    assert.deepEqual(builtin.match({ path: '/usr/bin/apt-get', name: 'apt-get' }), {
      id: 'builtin:apt',
      on: 'path',
    });
    assert.deepEqual(builtin.match({ path: '/usr/lib/apt/methods/http' }), {
      id: 'builtin:apt-methods',
      on: 'path',
    });
    assert.deepEqual(builtin.match({ path: '/sbin/apk' }), { id: 'builtin:apk', on: 'path' });
    assert.equal(
      builtin.match({ path: '/snap/firefox/4793/usr/lib/firefox/firefox' })?.id,
      'builtin:firefox',
    );
    assert.equal(
      builtin.match({ path: '/usr/sbin/nginx (deleted)' })?.id,
      'builtin:nginx',
      'a daemon upgraded under its feet',
    );
  });

  it('never allowlists a known name in a custom location', () => {
    assert.equal(builtin.match({ path: '/tmp/apt-get', name: 'apt-get' }), undefined);
    assert.equal(builtin.match({ path: '/home/u/.cache/nginx', name: 'nginx' }), undefined);
    assert.equal(
      builtin.match({ path: '/opt/datadog-agent/embedded/bin/python3' }),
      undefined,
      'an embedded interpreter is not the agent',
    );
  });

  it('matches a name only when the path is unknown, and only distinctive names', () => {
    assert.deepEqual(builtin.match({ name: 'apt-get' }), { id: 'builtin:apt', on: 'name' });
    assert.equal(builtin.match({ name: 'http' }), undefined, 'the apt method is too generic a name');
    assert.equal(
      builtin.match({ name: 'amazon-ssm-agen' })?.id,
      'builtin:amazon-ssm-agent',
      'comm is truncated to 15 characters',
    );
    const strict = new Allowlist([{ prefix: 'builtin', entries: BUILTIN_ALLOWLIST }], {
      nameOnlyWhenPathUnknown: false,
    });
    assert.equal(strict.match({ name: 'apt-get' }), undefined);
  });

  it('matches a hash wherever the file is, and lets user entries come first', () => {
    const sha = 'ab'.repeat(32);
    const list = new Allowlist([
      { prefix: 'user', entries: [{ id: 'mine', paths: ['/usr/bin/apt-get'], sha256: [sha.toUpperCase()] }] },
      { prefix: 'builtin', entries: BUILTIN_ALLOWLIST },
    ]);
    assert.deepEqual(list.match({ path: '/tmp/x', sha256: sha }), { id: 'user:mine', on: 'sha256' });
    assert.deepEqual(list.match({ path: '/usr/bin/apt-get' }), { id: 'user:mine', on: 'path' });
  });

  it('names the entry whose pattern does not compile', () => {
    assert.throws(
      () => new Allowlist([{ prefix: 'user', entries: [{ id: 'bad', paths: ['/opt/{a'] }] }]),
      /user:bad/,
    );
  });

  it('has well-formed built-in entries', () => {
    const ids = new Set<string>();
    for (const e of BUILTIN_ALLOWLIST) {
      assert.ok(!ids.has(e.id), `duplicate id ${e.id}`);
      ids.add(e.id);
      assert.ok(
        e.paths.length > 0 && e.paths.every((p) => p.startsWith('/')),
        `${e.id} needs absolute path patterns`,
      );
      assert.ok(
        e.why.length > 10 && e.software.length > 0,
        `${e.id} must say what it is and why it talks HTTP`,
      );
      for (const n of e.names ?? []) assert.ok(n.length <= 15, `${e.id}: name ${n} longer than comm allows`);
      for (const p of e.paths)
        assert.ok(!/^\/(?:tmp|var\/tmp|dev\/shm|home)\//.test(p), `${e.id}: ${p} is a custom location`);
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  IdentityBuilder,
  normaliseExecutableName,
  normaliseExecutablePath,
  userClass,
} from '../../src/internal/identity.ts';

describe('normaliseExecutablePath', () => {
  const table: [string, string][] = [
    ['/opt/app-1.2.3/bin/app', '/opt/app-<v>/bin/app'],
    ['/opt/app-1.3.0/bin/app', '/opt/app-<v>/bin/app'],
    ['/opt/app_1.2/app', '/opt/app_<v>/app'],
    ['/usr/local/bin/app-v2.0.0-rc1', '/usr/local/bin/app-<v>'],
    ['/tmp/go-build1234567/exe/main', '/tmp/go-build<h>/exe/main'],
    ['/tmp/go-build3518135900/b001/exe/main', '/tmp/go-build<h>/b001/exe/main'],
    ['/usr/lib/jvm/java-17-openjdk-amd64/bin/java', '/usr/lib/jvm/java-<v>-openjdk-amd64/bin/java'],
    ['/usr/lib/jvm/java-21-openjdk-amd64/bin/java', '/usr/lib/jvm/java-<v>-openjdk-amd64/bin/java'],
    ['/snap/firefox/4793/usr/lib/firefox/firefox', '/snap/firefox/<v>/usr/lib/firefox/firefox'],
    ['/snap/core22/current/usr/bin/x', '/snap/core22/<v>/usr/bin/x'],
    [
      '/nix/store/0c0gxq1s9kxh8fs7a2b7v0r3c1ml4h5a-hello-2.12.1/bin/hello',
      '/nix/store/<h>-hello-<v>/bin/hello',
    ],
    ['/usr/bin/python3.11', '/usr/bin/python<v>'],
    ['/usr/bin/python3', '/usr/bin/python3'],
    ['/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'],
    ['/bin/ls', '/usr/bin/ls'],
    ['/usr/lib/postgresql/15/bin/postgres', '/usr/lib/postgresql/<v>/bin/postgres'],
    [
      '/opt/Elastic/Agent/data/elastic-agent-8.15.0-4b3b2e/components/filebeat',
      '/opt/Elastic/Agent/data/elastic-agent-<v>-<h>/components/filebeat',
    ],
    ['/home/u/.nvm/versions/node/v20.11.1/bin/node', '/home/u/.nvm/versions/node/<v>/bin/node'],
    ['/tmp/tmp.aB3dE5fG7h/run', '/tmp/tmp.<h>/run'],
    [
      '/run/containerd/k8s.io/123e4567-e89b-12d3-a456-426614174000/rootfs/app',
      '/run/containerd/k8s.io/<h>/rootfs/app',
    ],
    ['/tmp/.x/kworkerd (deleted)', '/tmp/.x/kworkerd'],
    ['/usr/sbin/zabbix_agent2', '/usr/sbin/zabbix_agent2'],
    ['/usr//bin/../bin/curl', '/usr/bin/curl'],
    ['/opt/deadbeef/x', '/opt/deadbeef/x'],
  ];
  for (const [input, expected] of table) {
    it(`${input} → ${expected}`, () => assert.equal(normaliseExecutablePath(input), expected));
  }
  it('normalises names the same way', () => {
    assert.equal(normaliseExecutableName('python3.11'), 'python<v>');
    assert.equal(normaliseExecutableName('kworkerd'), 'kworkerd');
  });
});

describe('userClass', () => {
  it('classes uids as root, system or user', () => {
    assert.equal(userClass(0, undefined), 'root');
    assert.equal(userClass(33, 'www-data'), 'system');
    assert.equal(userClass(65534, 'nobody'), 'system');
    assert.equal(userClass(1000, 'alice'), 'user');
    assert.equal(userClass(500, undefined, 500), 'user');
    assert.equal(userClass(undefined, 'root'), 'root');
    assert.equal(userClass(undefined, 'alice'), 'unknown');
  });
});

describe('IdentityBuilder', () => {
  it('defaults to host + normalised path + user class', () => {
    const b = new IdentityBuilder();
    assert.equal(
      b.build({ host: 'web-1', path: '/opt/app-1.2.3/bin/app', uid: 0 }),
      'host=web-1|path=/opt/app-<v>/bin/app|user=root',
    );
    assert.equal(
      b.build({ host: 'web-1', path: '/opt/app-1.3.0/bin/app', uid: 0 }),
      b.build({ host: 'web-1', path: '/opt/app-1.2.3/bin/app', uid: 0 }),
      'an upgrade keeps the identity',
    );
    assert.notEqual(
      b.build({ host: 'web-2', path: '/usr/bin/curl' }),
      b.build({ host: 'web-1', path: '/usr/bin/curl' }),
    );
  });
  it('stands the name in for an unknown path, and gives nothing without path and name', () => {
    const b = new IdentityBuilder();
    assert.equal(b.build({ host: 'h', name: 'kworkerd', uid: 1000 }), 'host=h|name=kworkerd|user=user');
    assert.equal(b.build({ host: 'h', uid: 0 }), undefined);
    assert.equal(b.build({ path: '/usr/bin/curl' }), undefined, 'host scope needs a host');
  });
  it('takes a relative path or a bare comm in the path field for a name', () => {
    const b = new IdentityBuilder();
    const byName = b.build({ host: 'h', name: 'tool', uid: 1000 });
    assert.equal(byName, 'host=h|name=tool|user=user');
    assert.equal(b.build({ host: 'h', path: 'tool', uid: 1000 }), byName);
    assert.equal(b.build({ host: 'h', path: './bin/tool', uid: 1000 }), byName);
    assert.equal(b.build({ host: 'h', path: 'tool (deleted)', uid: 1000 }), byName);
    assert.equal(
      b.build({ host: 'h', path: 'tool', name: 'tool', uid: 1000 }),
      byName,
      'a name the record carries is kept',
    );
    assert.equal(
      b.build({ host: 'h', path: '/home/alice/.local/bin/tool (deleted)', uid: 1000 }),
      'host=h|path=/home/alice/.local/bin/tool|user=user',
    );
  });
  it('builds global identities from the configured parts', () => {
    const b = new IdentityBuilder({ parts: ['name', 'hash'], scope: 'global' });
    assert.equal(
      b.build({ host: 'h', path: '/opt/x/agent-1.2', sha256: 'AB'.repeat(32) }),
      `name=agent-<v>|sha256=${'ab'.repeat(32)}`,
    );
    assert.equal(b.build({ host: 'h', name: 'x' }), 'name=x|sha256=?');
  });

  it('remembers identities by host, path and user class, within its bound, giving the same answers', () => {
    const cached = new IdentityBuilder({ maxCachedIdentities: 2 });
    const fresh = () => new IdentityBuilder({ maxCachedIdentities: 1_000 });
    const inputs = [
      { host: 'web-1', path: '/opt/app-1.2.3/bin/app', uid: 0 },
      { host: 'web-1', path: '/opt/app-1.2.3/bin/app', uid: 1000 },
      { host: 'web-2', path: '/opt/app-1.2.3/bin/app', uid: 0 },
      { host: 'web-1', path: '/tmp/.x/kworkerd (deleted)', owner: 'root' },
      { host: 'web-1', path: 'kworkerd', name: 'other' },
      { path: '/usr/bin/curl', uid: 0 },
      { host: 'web-1', path: '/opt/app-1.2.3/bin/app', uid: 0 },
    ];
    // Twice over, past the bound of 2 (the cache is cleared and filled again): every answer as a new builder's.
    for (let round = 0; round < 2; round++) {
      for (const input of inputs)
        assert.equal(cached.build(input), fresh().build(input), JSON.stringify(input));
    }
    const b = fresh();
    const first = b.build({ host: 'web-1', path: '/usr/bin/curl', uid: 0 });
    assert.equal(b.build({ host: 'web-1', path: '/usr/bin/curl', uid: 0 }), first);
    assert.equal(
      b.build({ host: 'web-1', path: '/usr/bin/curl', uid: 1000 }),
      'host=web-1|path=/usr/bin/curl|user=user',
    );
    // A name part makes the name matter: nothing is remembered by path alone.
    const named = new IdentityBuilder({ parts: ['path', 'name'] });
    assert.notEqual(
      named.build({ host: 'h', path: '/usr/bin/x', name: 'a' }),
      named.build({ host: 'h', path: '/usr/bin/x', name: 'b' }),
    );
  });
});

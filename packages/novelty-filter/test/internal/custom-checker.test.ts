import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { CustomExecutableChecker } from '../../src/internal/custom-checker.ts';
import { DpkgDatabase } from '../../src/internal/dpkg-database.ts';
import { Inventory } from '../../src/internal/inventory.ts';
import { RpmDatabase } from '../../src/internal/rpm-database.ts';

const HAS_DPKG = existsSync('/var/lib/dpkg/info');
const scratch = mkdtempSync(join(tmpdir(), 'novelty-custom-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A regular file that dpkg says a package owns, found through dpkg itself (not through the code under test). */
function packagedFile(): string {
  const coreutils = readFileSync('/var/lib/dpkg/info/coreutils.list', 'utf8').split('\n');
  const candidate = coreutils.find((p) => /\/bin\/(env|ls|cat)$/.test(p)) ?? '/usr/bin/dpkg';
  const owner = execFileSync('dpkg', ['-S', candidate], { encoding: 'utf8' });
  assert.match(owner, /: /, `dpkg -S ${candidate} must name its package`);
  return candidate;
}

describe(
  'CustomExecutableChecker on the real dpkg database',
  { skip: HAS_DPKG ? false : 'no /var/lib/dpkg on this machine: the dpkg test needs a Debian-family host' },
  () => {
    const dpkg = new DpkgDatabase({ maxPaths: 2_000_000 });
    const checker = new CustomExecutableChecker({ packages: dpkg, maxCachedStats: 100 });

    it('a file a Debian package owns is not custom; its copy in a temporary directory is', async () => {
      const owned = packagedFile();
      const packaged = await checker.check({ path: owned, local: true });
      assert.deepEqual(packaged, { custom: false, reasons: [], packageUnknown: false });
      // The kernel reports resolved paths (/usr/bin/...) while older lists say /bin/...: both must be owned.
      const alias = owned.startsWith('/usr/') ? owned.slice(4) : `/usr${owned}`;
      if (existsSync(alias)) assert.equal((await checker.check({ path: alias, local: true })).custom, false);

      const dir = mkdtempSync(join(scratch, 'copy-'));
      const copy = join(dir, owned.split('/').pop() ?? 'x');
      copyFileSync(owned, copy);
      const result = await checker.check({ path: copy, local: true });
      assert.equal(result.custom, true);
      assert.ok(result.reasons.includes('not_packaged'), `reasons: ${result.reasons.join(',')}`);
      assert.ok(result.reasons.includes('temporary_directory'), `reasons: ${result.reasons.join(',')}`);
      assert.ok(result.reasons.includes('writable_directory'), 'the copy sits below the world-writable /tmp');
      assert.ok(dpkg.size > 1000, 'the lists of every installed package were read');
    });

    it('counts diverted files as packaged', async () => {
      const lines = readFileSync('/var/lib/dpkg/diversions', 'utf8').split('\n');
      const divertedTo = lines[1];
      if (!divertedTo) return;
      assert.equal(await dpkg.owns(divertedTo), true, `${divertedTo} is a diverted packaged file`);
    });

    it('says "cannot tell" instead of "not packaged" once the bound bites', async () => {
      const problems: string[] = [];
      const small = new DpkgDatabase({ maxPaths: 10, onProblem: (reason) => problems.push(reason) });
      assert.equal(await small.owns('/tmp/surely-not-packaged'), undefined);
      assert.deepEqual(problems, ['dpkg_paths_truncated']);
    });

    it('does not look up paths that are not local', async () => {
      const r = await checker.check({ path: '/usr/local/bin/thing', local: false });
      assert.deepEqual(r, { custom: false, reasons: [], packageUnknown: true });
    });
  },
);

describe('CustomExecutableChecker path rules', () => {
  const checker = new CustomExecutableChecker({ maxCachedStats: 100 });
  it('flags temporary, hidden, home, deleted and fileless executables', async () => {
    assert.deepEqual((await checker.check({ path: '/tmp/.x/kworkerd', local: false })).reasons, [
      'temporary_directory',
      'hidden_directory',
    ]);
    assert.deepEqual((await checker.check({ path: '/dev/shm/x', local: false })).reasons, [
      'temporary_directory',
    ]);
    assert.deepEqual((await checker.check({ path: '/home/alice/bin/tool', local: false })).reasons, [
      'writable_directory',
    ]);
    assert.deepEqual((await checker.check({ path: '/usr/sbin/nginx (deleted)', local: false })).reasons, [
      'deleted',
    ]);
    assert.deepEqual((await checker.check({ path: '/usr/bin/x', deleted: true, local: false })).reasons, [
      'deleted',
    ]);
    assert.deepEqual((await checker.check({ path: '/memfd:payload (deleted)', local: false })).reasons, [
      'deleted',
    ]);
    assert.deepEqual((await checker.check({ path: '/usr/bin/curl', local: false })).reasons, []);
  });

  it('answers without a promise when nothing local is read, the same answer every time for a path', () => {
    const first = checker.check({ path: '/tmp/.x/kworkerd (deleted)', local: false });
    assert.ok(!(first instanceof Promise), 'no package database or file mode needed: no promise');
    const again = checker.check({ path: '/tmp/.x/kworkerd (deleted)', local: false });
    assert.deepEqual(again, first, 'a remembered path gives the same verdict');
    assert.deepEqual(first.reasons, ['temporary_directory', 'hidden_directory', 'deleted']);
    const other = checker.check({ path: '/tmp/.x/kworkerd', local: false });
    assert.ok(!(other instanceof Promise));
    assert.deepEqual(
      other.reasons,
      ['temporary_directory', 'hidden_directory'],
      'the first call did not change it',
    );
    assert.ok(
      checker.check({ path: '/tmp/.x/kworkerd', local: true }) instanceof Promise,
      'local: looked up',
    );
  });

  it('flags a world-writable directory found on this machine, and only that', async (t) => {
    // The scratch folder must sit where nothing else counts against it (not under /tmp, which is itself
    // world-writable, nor a home or hidden folder): take the first such place we can write to.
    const base = await neutralScratchDirectory();
    if (base === undefined) {
      t.skip('no writable folder outside temporary, home and hidden locations on this machine');
      return;
    }
    try {
      chmodSync(base, 0o755);
      const open = join(base, 'open');
      mkdirSync(open);
      chmodSync(open, 0o777);
      const local = new CustomExecutableChecker({ maxCachedStats: 100 });
      assert.deepEqual((await local.check({ path: join(base, 'agent'), local: true })).reasons, []);
      assert.deepEqual((await local.check({ path: join(open, 'sub', 'agent'), local: true })).reasons, [
        'writable_directory',
      ]);
      assert.deepEqual(
        (await local.check({ path: join(open, 'agent'), local: false })).reasons,
        [],
        'remote paths are not stat-ed',
      );
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('Inventory', () => {
  const sha = 'cd'.repeat(32);
  it('reads a newline list of paths, globs and digests', async () => {
    const inv = Inventory.parse(`# ours\n/opt/app-*/bin/app\n/usr/local/bin/tool\n${sha}\n`);
    const checker = new CustomExecutableChecker({ inventory: inv, maxCachedStats: 10 });
    assert.deepEqual((await checker.check({ path: '/opt/app-1.2/bin/app', local: false })).reasons, []);
    assert.deepEqual((await checker.check({ path: '/opt/other', sha256: sha, local: false })).reasons, []);
    assert.deepEqual((await checker.check({ path: '/opt/other', local: false })).reasons, [
      'not_in_inventory',
    ]);
  });
  it('reads JSON with per-host lists and applies them to their host only', async () => {
    const file = join(scratch, 'inventory.json');
    writeFileSync(file, JSON.stringify({ hosts: { 'web-1': { paths: ['/srv/app'] } } }));
    const checker = new CustomExecutableChecker({ inventory: Inventory.load(file), maxCachedStats: 10 });
    assert.deepEqual((await checker.check({ path: '/srv/app', host: 'web-1', local: false })).reasons, []);
    assert.deepEqual((await checker.check({ path: '/srv/other', host: 'web-1', local: false })).reasons, [
      'not_in_inventory',
    ]);
    assert.deepEqual(
      (await checker.check({ path: '/srv/other', host: 'db-1', local: false })).reasons,
      [],
      'no inventory for db-1',
    );
  });
  it('names the bad line', () => {
    assert.throws(() => Inventory.parse('/ok\nrelative/path\n', 'inv.txt'), /inv\.txt:2/);
    assert.throws(() => Inventory.parse('{"paths": [1]}', 'inv.json'), /inv\.json\.paths\[0\]/);
  });
});

describe('RpmDatabase', () => {
  it('reports once and answers "cannot tell" when rpm cannot be run', async () => {
    const problems: string[] = [];
    const rpm = new RpmDatabase({
      command: join(scratch, 'no-such-rpm'),
      maxCached: 10,
      onProblem: (r) => problems.push(r),
    });
    assert.equal(await rpm.owns('/usr/bin/env'), undefined);
    assert.equal(await rpm.owns('/usr/bin/ls'), undefined);
    assert.deepEqual(problems, ['rpm_unavailable']);
  });
});

/** A fresh folder, mode 0755, in a place the checker finds nothing against; undefined when there is none. */
async function neutralScratchDirectory(): Promise<string | undefined> {
  const probe = new CustomExecutableChecker({ maxCachedStats: 10 });
  for (const parent of [import.meta.dirname, '/var/lib', '/opt', '/srv']) {
    let dir: string;
    try {
      dir = mkdtempSync(join(parent, 'egressguard-scratch-'));
    } catch {
      continue;
    }
    chmodSync(dir, 0o755);
    if ((await probe.check({ path: join(dir, 'agent'), local: true })).reasons.length === 0) return dir;
    rmSync(dir, { recursive: true, force: true });
  }
  return undefined;
}

/**
 * The packages as a user gets them: every workspace package packed with `npm pack`, the tarballs installed into a
 * fresh project outside the workspace (third-party dependencies from the npm registry, no dev dependencies), and the
 * installed `egressguard` command run through `npx` on a recorded sample. Proves that `bin`, `exports`, `types` and
 * `files` resolve from `dist/`, without the workspace's source condition.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '..');
const PACKAGES = readdirSync(join(ROOT, 'packages')).filter((name) =>
  existsSync(join(ROOT, 'packages', name, 'package.json')),
);
const SAMPLE = ['auditd-exec.log', 'tcplife.csv'].map((f) =>
  join(ROOT, 'test', 'scenarios', 'failing-implant', f),
);
const IMPLANT = '/tmp/.ssh-agent-cache/ssh-agent';

/** npm as the running Node.js's own: the npm beside it, else the one on PATH. */
const NPM = existsSync(join(process.execPath, '..', 'npm')) ? join(process.execPath, '..', 'npm') : 'npm';
const NPX = existsSync(join(process.execPath, '..', 'npx')) ? join(process.execPath, '..', 'npx') : 'npx';

/** Runs a command to completion; its stdout and stderr. */
function run(command: string, args: string[], cwd: string, timeout = 600_000): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    // The running Node.js first on PATH, so that npm and the installed command run on it; no workspace conditions.
    env: {
      ...process.env,
      PATH: `${join(process.execPath, '..')}:${process.env.PATH ?? ''}`,
      NODE_OPTIONS: '',
    },
  });
  assert.equal(
    result.status,
    0,
    `${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`,
  );
  return `${result.stdout}${result.stderr}`;
}

describe('installing the packed packages into an empty project', () => {
  let dir: string;
  let project: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'egressguard-install-'));
    const tarballs = join(dir, 'tarballs');
    mkdirSync(tarballs);
    for (const name of PACKAGES) {
      assert.ok(
        existsSync(join(ROOT, 'packages', name, 'dist')),
        `packages/${name} is built (npm test builds first)`,
      );
      run(NPM, ['pack', '--silent', '--pack-destination', tarballs], join(ROOT, 'packages', name));
    }
    project = join(dir, 'project');
    mkdirSync(project);
    const files = readdirSync(tarballs);
    assert.equal(files.length, PACKAGES.length, 'one tarball per package');
    // Every @egressguard package from its tarball, also where one depends on another (overrides): npm never asks
    // the registry for our names, so a package of the same name published by someone else cannot slip in.
    const local = Object.fromEntries(
      files.map((f) => [
        `@egressguard/${f.replace(/^egressguard-/, '').replace(/-\d+\.\d+\.\d+\.tgz$/, '')}`,
        `file:${join(tarballs, f)}`,
      ]),
    );
    assert.deepEqual(
      Object.keys(local).sort(),
      PACKAGES.map((name) => `@egressguard/${name}`).sort(),
      'the tarballs are the packages',
    );
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'uses-egressguard',
        private: true,
        type: 'module',
        dependencies: local,
        overrides: local,
      }),
    );
    // --prefer-offline: the other dependencies are in npm's cache since `npm ci`; the registry is asked only for what
    // is not there.
    run(NPM, ['install', '--no-audit', '--no-fund', '--omit=dev', '--prefer-offline'], project);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('installs each package with its exports, types and files, and no source or test files', () => {
    for (const name of PACKAGES) {
      const installed = join(project, 'node_modules', '@egressguard', name);
      const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
        exports: Record<string, Record<string, string>>;
      };
      const entry = manifest.exports['.'];
      for (const condition of ['types', 'default'])
        assert.ok(
          existsSync(join(installed, entry[condition])),
          `${name}: exports.${condition} ${entry[condition]} is in the package`,
        );
      assert.ok(!existsSync(join(installed, 'test')), `${name}: tests are not shipped`);
    }
    const imported = run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import('@egressguard/cli'); console.log(typeof m.replay)`,
      ],
      project,
    );
    assert.equal(imported.trim(), 'function');
  });

  it('runs `npx egressguard replay` on a recorded sample and finds the implant', () => {
    const out = join(dir, 'out.jsonl');
    const output = run(
      NPX,
      [
        '--no-install',
        'egressguard',
        'replay',
        '--format',
        'auto',
        '--host',
        'vm',
        '--output',
        out,
        ...SAMPLE,
      ],
      project,
    );
    assert.match(output, new RegExp(IMPLANT.replaceAll('.', '\\.')));
    assert.ok(readFileSync(out, 'utf8').includes('egressguard.detection'));
  });

  it('runs `egressguard list` from node_modules/.bin', () => {
    const stdout = run(join(project, 'node_modules', '.bin', 'egressguard'), ['list'], project);
    assert.match(stdout, /ratio_detector/);
    assert.match(stdout, /exporters: otlp, otlphttp, stdout, file/);
  });
});

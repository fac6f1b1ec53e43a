/**
 * The Node.js preflight: `npm start`, `npm test` and the `egressguard` command say which Node.js they need and which
 * they found, under an old Node.js too (the machine's own `node` when it is older than 22.15).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { REQUIRED_NODE, nodeVersionProblem } from '../packages/cli/bin/node-check.js';
import { REPO_ROOT } from '../packages/cli/test/support/cli.ts';

const BIN = join(REPO_ROOT, 'packages', 'cli', 'bin', 'egressguard.js');
const CHECK = join(REPO_ROOT, 'scripts', 'check-node.js');

/** An installed Node.js older than the one needed, if the machine has one. */
function oldNode(): { path: string; version: string } | undefined {
  for (const path of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(path)) continue;
    const run = spawnSync(path, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    const version = run.stdout.trim();
    if (run.status === 0 && nodeVersionProblem(version, path)) return { path, version };
  }
  return undefined;
}

describe('Node.js preflight', () => {
  it('names the Node.js needed and the one found', () => {
    assert.equal(REQUIRED_NODE, '22.15.0');
    assert.match(
      nodeVersionProblem('20.20.2', '/x/node') ?? '',
      /needs Node\.js 22\.15\.0 or later; found Node\.js 20\.20\.2 at \/x\/node/,
    );
    assert.match(nodeVersionProblem('22.14.9', '/x/node') ?? '', /found Node\.js 22\.14\.9/);
    assert.equal(nodeVersionProblem('22.15.0'), undefined);
    assert.equal(nodeVersionProblem('24.1.0'), undefined);
    assert.equal(nodeVersionProblem(process.versions.node), undefined);
  });

  const old = oldNode();
  it(
    'under an old Node.js, the command and the npm scripts’ preflight exit 1 with that message, not a flag error',
    {
      skip: old ? false : 'no Node.js older than 22.15 on this machine (/usr/bin/node, /usr/local/bin/node)',
    },
    () => {
      for (const script of [BIN, CHECK]) {
        const run = spawnSync(old!.path, [script, '--help'], { encoding: 'utf8', cwd: REPO_ROOT });
        assert.equal(run.status, 1, run.stderr);
        assert.match(
          run.stderr,
          new RegExp(
            `needs Node\\.js 22\\.15\\.0 or later; found Node\\.js ${old!.version.replaceAll('.', '\\.')}`,
          ),
        );
        assert.doesNotMatch(run.stderr, /bad option/);
      }
    },
  );

  it('under this Node.js the preflight passes and the command runs the built CLI', () => {
    const check = spawnSync(process.execPath, [CHECK], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /Usage: egressguard/);
  });
});

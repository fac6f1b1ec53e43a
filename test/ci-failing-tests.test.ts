/**
 * What `.ci/run` repeats at the end of a failed run's log (`.ci/failing-tests.awk`): every failing test's TAP entry
 * with its diagnostics, from a real Node test run with a failing test beside passing ones, nothing of the passing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'egressguard-ci-awk-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const awk = spawnSync('awk', ['--version'], { encoding: 'utf8' });
const skip = awk.error ? 'awk is not installed' : false;

describe('the failing tests .ci/run repeats', { skip }, () => {
  it('are the "not ok" entries whole, with error, expected and actual, and nothing that passed', () => {
    const file = join(dir, 'sample.test.mjs');
    writeFileSync(
      file,
      [
        "import assert from 'node:assert';",
        "import { describe, it } from 'node:test';",
        "describe('a suite', () => {",
        "  it('passes quietly', () => {});",
        "  it('compares wrongly', () => assert.equal(1, 2, 'one is not two'));",
        '});',
        "it('throws at the top', () => { throw new Error('boom'); });",
        '',
      ].join('\n'),
    );
    // A run of its own, not a subtest of this one (the runner tells its children by NODE_TEST_CONTEXT).
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const run = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], {
      encoding: 'utf8',
      env,
    });
    assert.notEqual(run.status, 0, 'the sample fails');
    const log = join(dir, 'log.txt');
    writeFileSync(log, run.stdout);
    const out = spawnSync('awk', ['-f', join(ROOT, '.ci', 'failing-tests.awk'), log], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    const text = out.stdout;
    assert.match(text, /^ {4}not ok \d+ - compares wrongly\n/m);
    assert.match(text, /error: 'one is not two'\n\s+code: 'ERR_ASSERTION'[\s\S]*expected: 2\n\s+actual: 1/);
    assert.match(text, /^not ok \d+ - a suite\n/m);
    assert.match(text, /^not ok \d+ - throws at the top\n[\s\S]*error: 'boom'/m);
    assert.doesNotMatch(text, /passes quietly/);
    assert.doesNotMatch(text, /^# (tests|pass|fail)/m, 'the summary is printed apart');
    // Each entry ends with its YAML block's closing "...".
    assert.equal(text.match(/^ *not ok /gm)?.length, 3);
    assert.equal(text.match(/^ *\.\.\.$/gm)?.length, 3);
  });
});

/**
 * The fuzz campaign's short share in `npm test`: every sensor reader and both OTLP decoders against a few hundred
 * hostile inputs each, from a fixed seed so that a failure is reproducible (`npm run fuzz` runs the long campaign
 * from a fresh seed). The campaign runs in its own process under its heap cap, so a swelling input fails it rather
 * than the suite.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const CAMPAIGN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'campaign.ts');

void it('every reader and decoder survives hostile input: bounded time and memory, schema-valid records, every line counted', () => {
  const r = spawnSync(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      '--conditions=egressguard-source',
      CAMPAIGN,
      '--runs',
      '100',
      '--seed',
      '20261203',
    ],
    // A hung input is killed and fails the test; ten times what the share takes on a loaded machine.
    { encoding: 'utf8', timeout: 600_000, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
  );
  assert.equal(r.signal, null, `the campaign was killed (${r.signal}): ${r.stderr.slice(-2000)}`);
  assert.equal(r.status, 0, r.stderr.slice(-4000));
  assert.match(r.stdout, /^fuzz: 1100 inputs tried/m, r.stdout);
});

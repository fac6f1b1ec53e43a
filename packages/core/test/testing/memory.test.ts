import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { settledMemoryUsage } from '@egressguard/core/testing';

const child = fileURLToPath(new URL('../support/settled-memory-child.ts', import.meta.url));

void describe('settledMemoryUsage', () => {
  void it('counts an array buffer while it is held and no longer once it is let go', () => {
    const out = execFileSync(
      process.execPath,
      [
        '--expose-gc',
        '--experimental-strip-types',
        '--disable-warning=ExperimentalWarning',
        '--conditions=egressguard-source',
        child,
      ],
      { encoding: 'utf8' },
    );
    const { held, released } = JSON.parse(out) as { held: number; released: number };
    const MiB = 1024 * 1024;
    assert.ok(held >= 16 * MiB, `held: ${held} bytes`);
    assert.ok(released < MiB, `released: ${released} bytes`);
  });

  void it('refuses to give figures without --expose-gc, rather than figures with garbage in them', () => {
    if ((globalThis as { gc?: unknown }).gc !== undefined) return;
    assert.throws(() => settledMemoryUsage(), /--expose-gc/);
  });
});

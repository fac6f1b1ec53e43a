import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { runScriptChild, settledMemoryUsage } from '@egressguard/core/testing';

const child = fileURLToPath(new URL('../support/settled-memory-child.ts', import.meta.url));

void describe('settledMemoryUsage', () => {
  void it('counts an array buffer while it is held and no longer once it is let go', () => {
    const { held, released } = runScriptChild<{ held: number; released: number }>(child, ['--expose-gc']);
    const MiB = 1024 * 1024;
    assert.ok(held >= 16 * MiB, `held: ${held} bytes`);
    assert.ok(released < MiB, `released: ${released} bytes`);
  });

  void it('refuses to give figures without --expose-gc, rather than figures with garbage in them', () => {
    if ((globalThis as { gc?: unknown }).gc !== undefined) return;
    assert.throws(() => settledMemoryUsage(), /--expose-gc/);
  });
});

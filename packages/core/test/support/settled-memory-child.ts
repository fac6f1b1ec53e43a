/**
 * Run by `test/testing/memory.test.ts` with `--expose-gc`: the array-buffer bytes `settledMemoryUsage` counts with a
 * 16 MiB buffer held, and after it is let go. Prints them as JSON.
 */
import { settledMemoryUsage } from '@egressguard/core/testing';

const SIZE = 16 * 1024 * 1024;
const start = await settledMemoryUsage();
let held: Float64Array | undefined = new Float64Array(SIZE / 8).fill(1);
const holding = await settledMemoryUsage();
if (held[SIZE / 8 - 1] !== 1) throw new Error('the buffer was not filled');
held = undefined;
const released = await settledMemoryUsage();
console.log(
  JSON.stringify({
    held: holding.arrayBuffers - start.arrayBuffers,
    released: released.arrayBuffers - start.arrayBuffers,
  }),
);

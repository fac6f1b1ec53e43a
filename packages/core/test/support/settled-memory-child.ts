/**
 * Run by `test/testing/memory.test.ts` with `--expose-gc`: the array-buffer bytes `settledMemoryUsage` counts with a
 * 16 MiB buffer held, and after it is let go. Prints them as JSON.
 */
import { settledMemoryUsage } from '@egressguard/core/testing';

const SIZE = 16 * 1024 * 1024;

/** A filled buffer, made in a frame of its own so that no register of the caller's keeps it. */
function filled(): Float64Array {
  return new Float64Array(SIZE / 8).fill(1);
}

const box: { held: Float64Array | undefined } = { held: undefined };
const start = settledMemoryUsage();
box.held = filled();
const holding = settledMemoryUsage();
box.held = undefined;
const released = settledMemoryUsage();
console.log(
  JSON.stringify({
    held: holding.arrayBuffers - start.arrayBuffers,
    released: released.arrayBuffers - start.arrayBuffers,
  }),
);

/**
 * Numbers sorted ascending for the interval statistics, which sort a flow's start times at every emission (an interim
 * update comes with each connection; the byte quantiles select instead, see `byte-sample.ts`). The values sorted here
 * are never NaN, so the order is that of the comparator `(a, b) => a - b` but for -0 and 0, which the intervals do not
 * tell apart.
 *
 * - A few numbers (most flows, and every interim update) are insertion-sorted into a view, made once, of a small
 *   buffer: no allocation and no call into the engine's sort, which costs more than sorting a few dozen numbers.
 *   Start times arrive nearly in order, which insertion sorting takes in one pass.
 * - More are copied into a reused scratch buffer and sorted natively: a typed array sorts numbers several times
 *   faster than `Array.prototype.sort` with a comparator, and one buffer spares allocating memory outside the heap
 *   at each sort.
 */

/** Up to this many numbers are insertion-sorted. */
const SMALL = 64;
const small = new Float64Array(SMALL);
/** `views[n]` is the first `n` slots of `small`. */
const views = Array.from({ length: SMALL + 1 }, (_, n) => small.subarray(0, n));
let scratch = new Float64Array(1_024);

/**
 * `values` sorted ascending, in a shared buffer: valid until the next call, which overwrites it. Callers use the
 * result at once and keep nothing of it.
 */
export function ascending(values: readonly number[]): Float64Array {
  const n = values.length;
  if (n <= SMALL) {
    const sorted = views[n];
    for (let i = 0; i < n; i++) {
      const value = values[i];
      let j = i - 1;
      while (j >= 0 && sorted[j] > value) {
        sorted[j + 1] = sorted[j];
        j--;
      }
      sorted[j + 1] = value;
    }
    return sorted;
  }
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, 2 * scratch.length));
  for (let i = 0; i < n; i++) scratch[i] = values[i];
  return scratch.subarray(0, n).sort();
}

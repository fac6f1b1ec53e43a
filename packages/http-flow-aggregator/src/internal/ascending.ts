/**
 * Numbers sorted ascending for the quantiles and the interval statistics, which sort at every emission (an interim
 * update comes with each connection). A typed array sorts numbers natively, several times faster than
 * `Array.prototype.sort` with a comparator; one scratch buffer, reused, spares allocating memory outside the heap at
 * each sort. The values sorted here (byte counts, event times) are never NaN, so the order is that of the comparator
 * `(a, b) => a - b` but for -0 and 0, which neither the quantiles nor the intervals tell apart.
 */
let scratch = new Float64Array(1_024);

/**
 * `values` sorted ascending, in the scratch buffer: valid until the next call, which overwrites it. Callers use the
 * result at once and keep nothing of it.
 */
export function ascending(values: readonly number[]): Float64Array {
  const n = values.length;
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, 2 * scratch.length));
  for (let i = 0; i < n; i++) scratch[i] = values[i];
  return scratch.subarray(0, n).sort();
}

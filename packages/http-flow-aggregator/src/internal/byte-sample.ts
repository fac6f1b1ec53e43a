/**
 * Per-connection byte counts of one flow, for the median and p90: every connection while there are at most `size`,
 * then a uniform reservoir sample (Vitter's Algorithm R) of `size` connections. Sent and received are sampled as
 * pairs so both quantiles describe the same connections. The random source is seeded and part of the snapshot, so
 * a restored flow samples exactly as an uninterrupted one.
 */

/** The JSON form of a {@link ByteSample}. */
export interface ByteSampleJSON {
  readonly seen: number;
  readonly rng: number;
  readonly sent: number[];
  readonly received: number[];
}

/**
 * A small, fast, seedable 32-bit generator (mulberry32); its whole state is one integer. This is its state step;
 * {@link randomOf} gives the number in [0, 1) of a state (two functions, so that a draw allocates nothing).
 */
function nextState(state: number): number {
  return (state + 0x6d2b79f5) | 0;
}

function randomOf(s: number): number {
  let t = Math.imul(s ^ (s >>> 15), 1 | s);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
}

/**
 * The `q` quantile of sorted values, interpolating linearly between closest ranks (Hyndman and Fan's type 7, the
 * default of R and NumPy): the median of an even count is the mean of the middle two. The definition that
 * {@link medianAndP90} computes by selection, and its tests' reference.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo];
  const b = sorted[Math.min(lo + 1, sorted.length - 1)];
  return a + (h - lo) * (b - a);
}

/** The values whose quantiles are asked for, copied and then partially ordered in place (grown as needed). */
let work = new Float64Array(256);

/**
 * Reorders `a[left..right]` so that `a[k]` holds the value that sorting would put there, every value before it is
 * no larger and every value after it no smaller (Hoare's FIND, as Wirth writes it), and returns `a[k]`. Linear
 * expected time: the median and p90 of a flow's sample are asked for at every interim update, one per connection,
 * and sorting a sample of a few dozen random byte counts costs several times more.
 */
function select(a: Float64Array, left: number, right: number, k: number): number {
  let l = left;
  let r = right;
  while (l < r) {
    const pivot = a[k];
    let i = l;
    let j = r;
    do {
      while (a[i] < pivot) i++;
      while (pivot < a[j]) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    } while (i <= j);
    if (j < k) l = i;
    if (k < i) r = j;
  }
  return a[k];
}

/** The smallest of `a[from..n)`. */
function smallest(a: Float64Array, from: number, n: number): number {
  let min = a[from];
  for (let i = from + 1; i < n; i++) if (a[i] < min) min = a[i];
  return min;
}

/**
 * The median and p90 of `values` (at least one), each exactly what {@link quantile} gives on the sorted values:
 * type 7 reads the order statistics at `floor(h)` and the one after it, and selection finds those without sorting.
 * Written to `out[0]` and `out[1]`.
 */
export function medianAndP90(values: readonly number[], out: [number, number]): void {
  const n = values.length;
  if (work.length < n) work = new Float64Array(Math.max(n, 2 * work.length));
  const a = work;
  for (let i = 0; i < n; i++) a[i] = values[i];
  const hMedian = (n - 1) * 0.5;
  const loMedian = Math.floor(hMedian);
  const median = select(a, 0, n - 1, loMedian);
  const nextMedian = loMedian + 1 < n ? smallest(a, loMedian + 1, n) : median;
  out[0] = median + (hMedian - loMedian) * (nextMedian - median);
  // Everything after the median's place is no smaller than it: the p90's order statistics are selected there.
  const hP90 = (n - 1) * 0.9;
  const loP90 = Math.floor(hP90);
  const p90 = loP90 === loMedian ? median : select(a, loMedian + 1, n - 1, loP90);
  const nextP90 = loP90 + 1 < n ? smallest(a, loP90 + 1, n) : p90;
  out[1] = p90 + (hP90 - loP90) * (nextP90 - p90);
}

/** Where {@link medianAndP90} writes. */
const pair: [number, number] = [0, 0];

/** A bounded sample of (sent, received) byte pairs. */
export class ByteSample {
  private seen = 0;
  private rng: number;
  private readonly size: number;
  private sent: number[] = [];
  private received: number[] = [];

  constructor(size: number, seed: number) {
    this.size = size;
    this.rng = seed | 0;
  }

  /** Offers one connection's byte counts. */
  add(sent: number, received: number): void {
    this.seen++;
    if (this.sent.length < this.size) {
      this.sent.push(sent);
      this.received.push(received);
      return;
    }
    this.rng = nextState(this.rng);
    const slot = Math.floor(randomOf(this.rng) * this.seen);
    if (slot < this.size) {
      this.sent[slot] = sent;
      this.received[slot] = received;
    }
  }

  /** True while every connection is in the sample, so the quantiles are exact. */
  get exact(): boolean {
    return this.seen <= this.size;
  }

  /** Median and p90 of bytes sent and received; `undefined` fields when no connection carried counts. */
  quantiles(): { sentMedian?: number; sentP90?: number; receivedMedian?: number; receivedP90?: number } {
    if (this.sent.length === 0) return {};
    medianAndP90(this.sent, pair);
    const sentMedian = pair[0];
    const sentP90 = pair[1];
    medianAndP90(this.received, pair);
    return { sentMedian, sentP90, receivedMedian: pair[0], receivedP90: pair[1] };
  }

  /** Approximate bytes held: the object, two arrays and their slots (with the spare room of arrays grown by push). */
  get bytes(): number {
    return 56 + 2 * (48 + 8 * (this.sent.length + (this.sent.length >> 2) + 16));
  }

  toJSON(): ByteSampleJSON {
    return { seen: this.seen, rng: this.rng, sent: [...this.sent], received: [...this.received] };
  }

  /** Rebuilds a sample from {@link toJSON}'s output. */
  static fromJSON(json: ByteSampleJSON, size: number): ByteSample {
    if (json.sent.length !== json.received.length)
      throw new Error('byte sample snapshot has unpaired counts');
    const sample = new ByteSample(size, json.rng);
    sample.seen = json.seen;
    sample.sent = json.sent.slice(0, size);
    sample.received = json.received.slice(0, size);
    return sample;
  }
}

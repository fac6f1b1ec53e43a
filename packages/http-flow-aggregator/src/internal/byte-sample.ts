/**
 * Per-connection byte counts of one flow, for the median and p90: every connection while there are at most `size`,
 * then a uniform reservoir sample (Vitter's Algorithm R) of `size` connections. Sent and received are sampled as
 * pairs so both quantiles describe the same connections. The random source is seeded and part of the snapshot, so
 * a restored flow samples exactly as an uninterrupted one.
 */
import { ascending } from './ascending.ts';

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
 * default of R and NumPy): the median of an even count is the mean of the middle two.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo];
  const b = sorted[Math.min(lo + 1, sorted.length - 1)];
  return a + (h - lo) * (b - a);
}

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
    // One sorted array at a time: `ascending` reuses its buffer.
    const sent = ascending(this.sent);
    const sentMedian = quantile(sent, 0.5)!;
    const sentP90 = quantile(sent, 0.9)!;
    const received = ascending(this.received);
    return {
      sentMedian,
      sentP90,
      receivedMedian: quantile(received, 0.5)!,
      receivedP90: quantile(received, 0.9)!,
    };
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

/**
 * Counts distinct values exactly up to a bound, then estimates with HyperLogLog (Flajolet et al. 2007) so that a
 * flow spraying thousands of destinations costs a fixed kilobyte instead of a growing set.
 *
 * The values are destination texts. A destination that packs into a number (`destination.ts`) is held as that
 * number, the same destination whichever form it came in; its text is made only for the snapshot and the hash.
 */
import { packDestinationText, unpackDestination } from './destination.ts';

/** HyperLogLog precision: 2^10 registers, standard error 1.04/sqrt(1024) ≈ 3.25 %. */
const PRECISION = 10;
const REGISTERS = 1 << PRECISION;
const ALPHA = 0.7213 / (1 + 1.079 / REGISTERS);

/** A 32-bit hash of a string: FNV-1a over the UTF-16 units, then MurmurHash3's finaliser to spread the bits. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Adds a hash to HyperLogLog registers: the top bits pick the register, the rank of the rest is kept at its max. */
function hllAdd(registers: Uint8Array, hash: number): void {
  const index = hash >>> (32 - PRECISION);
  const rank = Math.clz32((hash << PRECISION) | (1 << (PRECISION - 1))) + 1;
  if (rank > registers[index]) registers[index] = rank;
}

/** The HyperLogLog estimate, with linear counting for small cardinalities as the paper prescribes. */
function hllEstimate(registers: Uint8Array): number {
  let sum = 0;
  let zeros = 0;
  for (const r of registers) {
    sum += 2 ** -r;
    if (r === 0) zeros++;
  }
  const raw = (ALPHA * REGISTERS * REGISTERS) / sum;
  return Math.round(raw <= 2.5 * REGISTERS && zeros > 0 ? REGISTERS * Math.log(REGISTERS / zeros) : raw);
}

/** A destination text as the counter holds it: packed when it packs. */
function packed(value: string): number | string {
  const n = packDestinationText(value);
  return n >= 0 ? n : value;
}

/** The text of a value as the counter holds it. */
function text(value: number | string): string {
  return typeof value === 'number' ? unpackDestination(value) : value;
}

/** The JSON form of a {@link DistinctCounter}: the exact values, or the registers in base64. */
export type DistinctCounterJSON = { readonly exact: string[] } | { readonly hll: string };

/** Distinct count: exact up to `maxExact` values, then a HyperLogLog estimate. */
export class DistinctCounter {
  private exact: Set<number | string> | undefined = new Set();
  private registers: Uint8Array | undefined;
  private readonly maxExact: number;

  constructor(maxExact: number) {
    this.maxExact = maxExact;
  }

  /** Notes a value: a destination text, or a destination packed into a number. */
  add(value: number | string): void {
    const v = typeof value === 'string' ? packed(value) : value;
    if (this.exact) {
      this.exact.add(v);
      if (this.exact.size <= this.maxExact) return;
      this.registers = new Uint8Array(REGISTERS);
      for (const e of this.exact) hllAdd(this.registers, hash32(text(e)));
      this.exact = undefined;
      return;
    }
    hllAdd(this.registers!, hash32(text(v)));
  }

  /** The count: exact while {@link estimated} is false. */
  get count(): number {
    return this.exact ? this.exact.size : hllEstimate(this.registers!);
  }

  /** True once the exact bound was passed and {@link count} is an estimate. */
  get estimated(): boolean {
    return this.exact === undefined;
  }

  /** Approximate bytes held: the set's table and entries (a packed value is a boxed number, a text a string). */
  get bytes(): number {
    if (!this.exact) return REGISTERS + 200;
    let n = 64 + 152;
    for (const v of this.exact) n += 40 + (typeof v === 'number' ? 0 : 8 + v.length);
    return n;
  }

  toJSON(): DistinctCounterJSON {
    return this.exact
      ? { exact: Array.from(this.exact, text) }
      : { hll: Buffer.from(this.registers!).toString('base64') };
  }

  /** Rebuilds a counter from {@link toJSON}'s output. */
  static fromJSON(json: DistinctCounterJSON, maxExact: number): DistinctCounter {
    const counter = new DistinctCounter(maxExact);
    if ('exact' in json) {
      for (const v of json.exact) counter.add(v);
      return counter;
    }
    const registers = new Uint8Array(Buffer.from(json.hll, 'base64'));
    if (registers.length !== REGISTERS)
      throw new Error(`distinct counter snapshot has ${registers.length} registers, expected ${REGISTERS}`);
    counter.exact = undefined;
    counter.registers = registers;
    return counter;
  }
}

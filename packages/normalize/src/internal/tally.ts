/** Named counts a parser keeps of what it skipped on purpose or bounded; exposed through `SensorParser.counters`. */
export class Tally {
  private readonly counts = new Map<string, number>();

  /** Adds `n` to the count of `name`. */
  add(name: string, n = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + n);
  }

  /** The counts as a plain object. */
  view(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.counts);
  }
}

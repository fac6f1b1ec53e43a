/**
 * The base of a parser that holds nothing between inputs (each line or object is one whole event, as Falco alerts
 * and Sysmon events are): nothing is left to emit at the end, and what it skipped on purpose is counted by name.
 */
import type { ParseOutput, ParserOptions, SensorParser } from '../format.ts';
import { Tally } from './tally.ts';

/** A {@link SensorParser} without state: `end` emits nothing, `counters` are its {@link Tally}. */
export abstract class StatelessParser implements SensorParser {
  /** Where the records' resources come from. */
  protected readonly options: ParserOptions;
  /** What the parser skipped on purpose, by name. */
  protected readonly tally = new Tally();

  constructor(options: ParserOptions) {
    this.options = options;
  }

  abstract push(input: string | Readonly<Record<string, unknown>>, line: number): ParseOutput;

  /** Nothing is held between inputs, so nothing is left at the end. */
  end(): ParseOutput {
    return { records: [], errors: [] };
  }

  /** The counts of what was skipped on purpose. */
  counters(): Readonly<Record<string, number>> {
    return this.tally.view();
  }
}

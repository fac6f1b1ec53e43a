/**
 * Test helper: parser options for the two kinds of format (those whose input names its host and those whose input
 * does not), and feeding inputs to one parser, line by line, up to its end.
 */
import { createResource, ResourceAttr, type PipelineRecord, type RecordResource } from '@egressguard/schema';

import type { ParseError, ParserOptions, SensorParser } from '../src/format.ts';

/** Parser options that keep one shared resource per host name, and `defaultHost`'s for input that names none. */
export function namedHostOptions(defaultHost: string): ParserOptions {
  const resources = new Map<string, RecordResource>();
  return {
    defaultResource: createResource({ [ResourceAttr.HOST_NAME]: defaultHost }),
    resourceFor: (name) => {
      let resource = resources.get(name);
      if (!resource) resources.set(name, (resource = createResource({ [ResourceAttr.HOST_NAME]: name })));
      return resource;
    },
  };
}

/** Parser options for formats whose input never names a host: every record gets `host`'s resource. */
export function fixedHostOptions(host: string): ParserOptions {
  return {
    defaultResource: createResource({ [ResourceAttr.HOST_NAME]: host }),
    resourceFor: () => {
      throw new Error(`the format names no host; every record belongs to ${host}`);
    },
  };
}

/** What a parser produced from a whole input. */
export interface Fed {
  /** Every record, those of `push` in order, then those of `end`. */
  readonly records: PipelineRecord[];
  /** The records of each `push`, one entry per input. */
  readonly pushed: PipelineRecord[][];
  /** The records of `end`. */
  readonly atEnd: PipelineRecord[];
  /** The errors of every `push` and of `end`. */
  readonly errors: ParseError[];
  /** The parser's counters after `end`. */
  readonly counters: Readonly<Record<string, number>> | undefined;
}

/**
 * Pushes each input of each file (line numbers start at 1 in every file), then ends the parser.
 */
export function feed(
  parser: SensorParser,
  ...files: readonly (readonly (string | Readonly<Record<string, unknown>>)[])[]
): Fed {
  const pushed: PipelineRecord[][] = [];
  const errors: ParseError[] = [];
  for (const file of files) {
    file.forEach((input, i) => {
      const out = parser.push(input, i + 1);
      pushed.push(out.records);
      errors.push(...out.errors);
    });
  }
  const end = parser.end();
  errors.push(...end.errors);
  return {
    records: [...pushed.flat(), ...end.records],
    pushed,
    atEnd: end.records,
    errors,
    counters: parser.counters?.(),
  };
}

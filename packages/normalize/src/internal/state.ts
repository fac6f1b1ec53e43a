/**
 * The processor's state, versioned: one entry per parser that holds state (auditd open events, Tetragon held
 * connects), with the resource of its stream and its format. Version 1 is the format written since the first
 * release.
 */
import { z } from 'zod';

import { defineState } from '@egressguard/core';

import { auditdParserState, tetragonParserState } from './parser-state.ts';

const resource = z.record(z.string(), z.json());

const version1 = z.strictObject({
  parsers: z.array(
    z.discriminatedUnion('format', [
      z.strictObject({ resource, format: z.literal('auditd'), state: auditdParserState }),
      z.strictObject({ resource, format: z.literal('tetragon'), state: tetragonParserState }),
    ]),
  ),
});

/** The processor's state as its snapshot carries it. */
export type NormalizeState = z.output<typeof version1>;

/** One parser's entry in the state. */
export type ParserEntry = NormalizeState['parsers'][number];

/** The processor's versioned state definition. */
export const normalizeState = defineState({ version: 1, schema: version1 });

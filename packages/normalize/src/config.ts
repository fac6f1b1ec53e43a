/**
 * Configuration of the `normalize` processor, schema first: the zod definition gives the TypeScript
 * type, the validator (unknown keys rejected), the defaults, the JSON Schema and the README table.
 */
import { defineConfig } from '@egressguard/core';
import { z } from 'zod';

import { SENSOR_FORMAT_NAMES } from './formats/index.ts';

/** The `normalize` processor's configuration. */
export const normalizeConfig = defineConfig(
  z.strictObject({
    format: z
      .enum(['auto', ...SENSOR_FORMAT_NAMES] as [string, ...string[]])
      .default('auto')
      .describe(
        `Sensor format of the raw records, or auto to recognise each record's format. One of auto, ${SENSOR_FORMAT_NAMES.join(', ')}. Default: auto.`,
      ),
    max_parsers: z
      .number()
      .int()
      .positive()
      .default(1024)
      .describe(
        "Parsers kept at most, one per incoming resource and format (each holds that stream's open events); past this the least recently used is ended and what it held is emitted (counted as parsers_evicted). Default: 1024.",
      ),
    on_unrecognized: z
      .enum(['drop', 'pass'])
      .default('drop')
      .describe(
        'What to do with a raw record no format recognises (format auto): drop it (counted as unrecognized) or pass it on untouched. Default: drop.',
      ),
    max_line_bytes: z
      .number()
      .int()
      .positive()
      .default(1_048_576)
      .describe(
        'Longest raw line (a text body) read, in UTF-8 bytes; a longer one is dropped unread (counted as line_too_long). Default: 1048576 (1 MiB).',
      ),
    report_unreadable: z
      .boolean()
      .default(false)
      .describe(
        'Emit an egressguard.unreadable_input record per batch, host and source format with the count of input lines that could not be read (malformed, too long, unrecognised and dropped, dated out of range), for the coverage report. Default: false.',
      ),
    auditd_max_open_events: z
      .number()
      .int()
      .positive()
      .default(1024)
      .describe(
        'auditd: events still waiting for their EOE kept at most per stream; the oldest is completed early past this (counted as events_evicted). Default: 1024.',
      ),
    auditd_complete_after_serials: z
      .number()
      .int()
      .positive()
      .default(256)
      .describe(
        'auditd: an open event completes without its EOE once a record of the same node with a serial this much higher arrives. Default: 256.',
      ),
    auditd_complete_after_ms: z
      .number()
      .int()
      .positive()
      .default(2000)
      .describe(
        'auditd: an open event completes without its EOE once a record of the same node this much later in event time arrives. Default: 2000.',
      ),
    tetragon_max_open_connections: z
      .number()
      .int()
      .positive()
      .default(4096)
      .describe(
        'tetragon: connections held between connect and close at most per stream; the oldest is emitted with outcome open past this. Default: 4096.',
      ),
  }),
);
/** The `normalize` processor's configuration type. */
export type NormalizeConfig = ReturnType<typeof normalizeConfig.defaults>;

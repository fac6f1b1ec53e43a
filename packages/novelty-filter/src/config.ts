/**
 * Configuration of the novelty filter, defined once: type, validator, defaults, JSON Schema and README table.
 */
import { defineConfig } from '@egressguard/core';
import { z } from 'zod';

import { IDENTITY_PARTS } from './internal/identity.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const SHA256 = /^[0-9a-fA-F]{64}$/;

const allowlistEntry = z
  .strictObject({
    id: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only')
      .describe('Entry id, reported as `user:<id>`.'),
    paths: z
      .array(z.string().startsWith('/', 'must be an absolute path or glob'))
      .default([])
      .describe('Executable path globs. Default: [].'),
    names: z
      .array(z.string().min(1))
      .default([])
      .describe('Executable names, matched only when a record has no path. Default: [].'),
    sha256: z
      .array(z.string().regex(SHA256, 'must be 64 hex digits'))
      .default([])
      .describe('SHA-256 digests of executables. Default: [].'),
  })
  .refine((e) => e.paths.length + e.names.length + e.sha256.length > 0, {
    message: 'an allowlist entry needs at least one of paths, names, sha256',
  });

const action = z
  .discriminatedUnion('mode', [
    z.strictObject({ mode: z.literal('annotate') }),
    z.strictObject({
      mode: z.literal('drop'),
      statuses: z
        .array(z.enum(['known', 'allowlisted', 'rare']))
        .min(1)
        .default(['known', 'allowlisted'])
        .describe('Statuses whose records are dropped. Default: ["known", "allowlisted"].'),
      keep_custom: z
        .boolean()
        .default(true)
        .describe('Never drop a record whose executable is custom, whatever its status. Default: true.'),
    }),
  ])
  .default({ mode: 'annotate' })
  .describe(
    'What to do with annotated records. `{mode: annotate}` passes every record on with its novelty attributes; `{mode: drop, statuses, keep_custom}` also drops records whose status is in `statuses` (default known and allowlisted) unless the executable is custom and `keep_custom` (default true). Default: {mode: annotate}.',
  );

/** The novelty filter's configuration schema. */
export const noveltyFilterConfigSchema = z
  .strictObject({
    event_names: z
      .array(z.enum(['egressguard.http_flow', 'egressguard.connection']))
      .min(1)
      .default(['egressguard.http_flow', 'egressguard.connection'])
      .describe(
        'Event names the filter acts on (learns from, and in drop mode may drop); other records pass untouched. Default: both.',
      ),
    annotate_event_names: z
      .array(z.enum(['egressguard.http_flow', 'egressguard.connection']))
      .default(['egressguard.http_flow'])
      .describe(
        'Of the records the filter acts on, those that get the novelty attributes; the others count in the baseline and pass on unchanged. Default: ["egressguard.http_flow"] (the detector reads novelty on flows; add egressguard.connection to have every connection carry its ten attributes too).',
      ),
    identity_parts: z
      .array(z.enum(IDENTITY_PARTS))
      .min(1)
      .default(['path', 'user_class'])
      .refine((parts) => new Set(parts).size === parts.length, 'parts must not repeat')
      .describe(
        'What a process identity is made of: normalised executable `path`, normalised `name`, executable `hash` (SHA-256), `user_class` (root, system, user). Default: ["path", "user_class"] (coarse, as Elastic keys its new-terms rules; a hash changes at every upgrade).',
      ),
    identity_scope: z
      .enum(['host', 'global'])
      .default('host')
      .describe(
        '`host`: an identity is new per host; `global`: new across every host this instance sees. Default: host.',
      ),
    regular_uid_min: z
      .number()
      .int()
      .min(1)
      .default(1000)
      .describe(
        'First uid of a regular user (login.defs UID_MIN); lower uids are system accounts. Default: 1000.',
      ),
    learning_period_ms: z
      .number()
      .int()
      .min(0)
      .default(DAY_MS)
      .describe(
        'From the first record the baseline ever saw (event time), for this long nothing is called new. Default: 86400000 (1 day: daily timers and cron jobs run once).',
      ),
    history_ms: z
      .number()
      .int()
      .positive()
      .default(14 * DAY_MS)
      .describe(
        'An identity unseen for this long (event time) is forgotten and is new again. Default: 1209600000 (14 days).',
      ),
    rare_min_count: z
      .number()
      .int()
      .min(1)
      .default(10)
      .describe('An identity seen fewer times than this is rare. Default: 10.'),
    mature_span_ms: z
      .number()
      .int()
      .min(0)
      .default(18 * HOUR_MS)
      .describe(
        'An identity seen over a shorter span than this (first to last sighting, event time) is rare. Default: 64800000 (18 hours, three quarters of the default learning period: a program present through learning is known when it ends, one first seen in its last hours is not).',
      ),
    mature_interval_ms: z
      .number()
      .int()
      .positive()
      .default(HOUR_MS)
      .describe('The length of the intervals mature_min_intervals counts. Default: 3600000 (1 hour).'),
    mature_min_intervals: z
      .number()
      .int()
      .min(1)
      .max(0xffff)
      .default(12)
      .describe(
        'An identity seen in fewer distinct intervals of mature_interval_ms than this is rare: a span alone could be two sightings a day apart. Default: 12 (half the hours of the default learning period).',
      ),
    max_identities: z
      .number()
      .int()
      .min(1)
      .default(200_000)
      .describe(
        'Bound on identities remembered; the least recently seen is evicted first and counted. Default: 200000.',
      ),
    action,
    use_builtin_allowlist: z
      .boolean()
      .default(true)
      .describe('Use the built-in allowlist (see the README). Default: true.'),
    allowlist: z
      .array(allowlistEntry)
      .default([])
      .describe(
        'Your own allowlist entries `{id, paths, names, sha256}`, checked before the built-in ones. Default: [].',
      ),
    name_only_when_path_unknown: z
      .boolean()
      .default(true)
      .describe(
        'Match allowlist names when a record has no executable path (never when it has one). Default: true.',
      ),
    package_database: z
      .enum(['auto', 'dpkg', 'rpm', 'none'])
      .default('auto')
      .describe(
        'Where package ownership comes from: dpkg file lists, `rpm -qf`, or `auto` (dpkg when its database exists, else rpm when on PATH). Default: auto.',
      ),
    dpkg_root: z
      .string()
      .min(1)
      .default('/')
      .describe('Root of the filesystem whose dpkg database is read. Default: /.'),
    rpm_command: z.string().min(1).default('rpm').describe('The rpm executable. Default: rpm.'),
    max_owned_paths: z
      .number()
      .int()
      .min(1)
      .default(2_000_000)
      .describe(
        'Bound on package-owned paths held from the dpkg lists (a desktop has about 300000). Default: 2000000.',
      ),
    max_cached_lookups: z
      .number()
      .int()
      .min(1)
      .default(50_000)
      .describe('Bound on cached rpm answers and cached directory modes. Default: 50000.'),
    inventory_file: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe(
        'An inventory of expected executables (newline list of paths, globs or SHA-256, or JSON with per-host lists); executables absent from it are custom. Default: null (none).',
      ),
    check_local_files: z
      .union([z.literal('auto'), z.boolean()])
      .default('auto')
      .describe(
        'Look paths up on this machine (package database, directory modes): `auto` only for records whose host.name is `local_host_name` and that carry no container.id; true for every record; false never. Default: auto.',
      ),
    local_host_name: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe(
        'The host.name of this machine for `check_local_files: auto`. Default: null (os.hostname()).',
      ),
    max_clock_skew_ms: z
      .number()
      .int()
      .min(0)
      .default(86_400_000)
      .describe(
        'A record dated more than this ahead of processing time (a host with a wrong clock) is counted as `future_event_time` and enters the baseline at processing time + this bound, so that one bad clock cannot expire the whole baseline or move its learning period. 0 turns the bound off (replays of synthetic future data). Default: 86400000.',
      ),
  })
  .superRefine((config, ctx) => {
    const ids = new Set<string>();
    config.allowlist.forEach((entry, i) => {
      if (ids.has(entry.id))
        ctx.addIssue({
          code: 'custom',
          path: ['allowlist', i, 'id'],
          message: `duplicate allowlist id ${entry.id}`,
        });
      ids.add(entry.id);
    });
    // A name to annotate that the filter does not act on would silently annotate nothing.
    config.annotate_event_names.forEach((name, i) => {
      if (!config.event_names.includes(name))
        ctx.addIssue({
          code: 'custom',
          path: ['annotate_event_names', i],
          message: `${name} is not in event_names (${config.event_names.join(', ')}): records the filter does not act on are never annotated; list it in both, or set annotate_event_names`,
        });
    });
  });

/** The novelty filter's configuration (defaults applied). */
export type NoveltyFilterConfig = z.output<typeof noveltyFilterConfigSchema>;

/** The configuration definition: parse, defaults, JSON Schema. */
export const noveltyFilterConfig = defineConfig(noveltyFilterConfigSchema);

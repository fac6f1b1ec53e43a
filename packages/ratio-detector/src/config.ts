/**
 * Configuration of the ratio detector, defined once: the zod schema gives the TypeScript type, the validator, the
 * JSON Schema and the README table. Every default is justified in the README from the anchors (Elastic's frequent
 * egress rule, MITRE's AN0144/AN0145/AN0146, RITA).
 */
import { defineConfig } from '@egressguard/core';
import { NoveltyStatus, ResourceAttr } from '@egressguard/schema';
import { z } from 'zod';

const NOVELTY_STATUSES = [
  NoveltyStatus.NEW,
  NoveltyStatus.RARE,
  NoveltyStatus.KNOWN,
  NoveltyStatus.ALLOWLISTED,
] as const;

/** The thresholds every rule compares against, with their defaults; a host role may override any of them. */
const THRESHOLD_FIELDS = {
  min_connections: {
    schema: z.number().int().min(1),
    default: 10,
    describe:
      'AN0145: counted HTTP connections a window needs before the rule judges it (10 per 10-minute window is 60 an hour). Default: 10',
  },
  max_bytes_received_per_connection: {
    schema: z.number().min(0),
    default: 1024,
    describe:
      'AN0145: low response when bytes received per answered connection are at most this (a 204 or "ok" reply with headers is 100 to 300 B). Default: 1024',
  },
  max_received_to_sent_ratio: {
    schema: z.number().min(0),
    default: 0.25,
    describe:
      'AN0145: low response when bytes received divided by bytes sent are at most this (1:4). Default: 0.25',
  },
  min_failed_connections: {
    schema: z.number().int().min(1),
    default: 10,
    describe:
      'AN0145 all_failed: counted connections, all failed, a window needs for the finding. Default: 10',
  },
  regular_interval_cv: {
    schema: z.number().min(0),
    default: 0.25,
    describe:
      'Intervals between connections with a coefficient of variation at most this are a regular beacon: raises the score, never fires alone. Default: 0.25',
  },
  min_sent_to_received_ratio: {
    schema: z.number().gt(0),
    default: 4,
    describe:
      'AN0144 byte_ratio: fires when bytes sent divided by bytes received reach this (4:1). Default: 4',
  },
  min_bytes_sent: {
    schema: z.number().int().min(0),
    default: 1_048_576,
    describe:
      'AN0144 byte_ratio: bytes sent a window needs before the ratio is judged (1 MiB). Default: 1048576',
  },
  min_active_span_ms: {
    schema: z.number().int().min(0),
    default: 480_000,
    describe:
      'AN0146 long_session: time from first to last connection in the window that makes activity long-lived (8 of 10 minutes). Default: 480000',
  },
  min_open_connections: {
    schema: z.number().int().min(1),
    default: 1,
    describe:
      'AN0146 long_session: connections still open at the end of the window that make activity long-lived. Default: 1',
  },
  min_interval_cv: {
    schema: z.number().min(0),
    default: 1,
    describe:
      'AN0146 long_session: coefficient of variation of intervals at or above which activity is irregular (1 is a Poisson process). Default: 1',
  },
} as const;

type ThresholdName = keyof typeof THRESHOLD_FIELDS;

function thresholdsSchema() {
  const shape = {} as Record<ThresholdName, z.ZodDefault<z.ZodNumber>>;
  for (const [name, field] of Object.entries(THRESHOLD_FIELDS) as [
    ThresholdName,
    (typeof THRESHOLD_FIELDS)[ThresholdName],
  ][]) {
    shape[name] = field.schema.default(field.default).describe(field.describe);
  }
  return z.strictObject(shape);
}

function thresholdOverridesSchema() {
  const shape = {} as Record<ThresholdName, z.ZodOptional<z.ZodNumber>>;
  for (const [name, field] of Object.entries(THRESHOLD_FIELDS) as [
    ThresholdName,
    (typeof THRESHOLD_FIELDS)[ThresholdName],
  ][]) {
    shape[name] = field.schema
      .optional()
      .describe(`Overrides thresholds.${name} for this role. Default: the global value`);
  }
  return z.strictObject(shape);
}

const schema = z.strictObject({
  rules: z
    .strictObject({
      an0145: z
        .strictObject({
          enabled: z
            .boolean()
            .default(true)
            .describe('Run the AN0145 rule (low_response, all_failed, no-bytes finding). Default: true'),
          no_bytes: z
            .enum(['report', 'skip'])
            .default('report')
            .describe(
              'When no counted connection carried byte counts (auditd, Falco, Sysmon): `report` emits a lower-scored many_connections_no_bytes finding, `skip` only counts blind_no_bytes. Default: report',
            ),
        })
        .prefault({})
        .describe('The default rule, MITRE ATT&CK analytic AN0145.'),
      an0144_byte_ratio: z
        .strictObject({
          enabled: z
            .boolean()
            .default(false)
            .describe('Run the AN0144 outbound:inbound byte-ratio rule. Default: false'),
        })
        .prefault({})
        .describe('Sibling rule after AN0144: much more sent than received.'),
      an0146_long_session: z
        .strictObject({
          enabled: z
            .boolean()
            .default(false)
            .describe('Run the AN0146 long-lived, irregular activity rule. Default: false'),
        })
        .prefault({})
        .describe('Sibling rule after AN0146: long-lived, irregular activity.'),
    })
    .prefault({})
    .describe('Which rules run.'),
  count: z
    .enum(['external', 'all'])
    .default('external')
    .describe(
      'Which connections the rules count: only external destinations (internal ones are evidence), or all. Default: external',
    ),
  thresholds: thresholdsSchema().prefault({}).describe('Thresholds of every rule; a role may override each.'),
  roles: z
    .record(
      z.string().min(1),
      z.strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe('Whether any rule runs on hosts of this role. Default: true'),
        thresholds: thresholdOverridesSchema()
          .prefault({})
          .describe('Threshold overrides for this role. Default: none'),
      }),
    )
    .default({})
    .describe(
      'Per host role (case-insensitive): whether rules run and which thresholds differ. Default: no overrides',
    ),
  role_attributes: z
    .array(z.string().min(1))
    .default([ResourceAttr.HOST_ROLE, ResourceAttr.HOST_TYPE])
    .describe(
      'Resource attributes read, in order, for the host role when no inventory entry matches. Default: egressguard.host.role, host.type',
    ),
  default_role: z
    .string()
    .min(1)
    .default('default')
    .describe('Role of hosts nothing else names. Default: default'),
  inventory: z
    .array(
      z.strictObject({
        host: z.string().min(1).describe('host.name or glob pattern (`*`, `?`, `[a-z]`), case-insensitive.'),
        role: z.string().min(1).describe('The role of matching hosts.'),
      }),
    )
    .default([])
    .describe(
      'Asset inventory: host patterns to roles, first match wins, checked before inventory_file. Default: none',
    ),
  inventory_file: z
    .string()
    .default('')
    .describe(
      'JSON file with an inventory array (`[{ "host": "build-*", "role": "build" }]`), read at construction; empty for none. Default: empty',
    ),
  qualify: z
    .strictObject({
      statuses: z
        .array(z.enum(NOVELTY_STATUSES))
        .default([NoveltyStatus.NEW, NoveltyStatus.RARE])
        .describe('Novelty statuses whose windows the rules judge. Default: new, rare'),
      custom: z
        .boolean()
        .default(true)
        .describe(
          'Custom executables qualify whatever their status, except allowlisted and (unless custom_known) known: during learning, custom is what qualifies. Default: true',
        ),
      custom_known: z
        .boolean()
        .default(false)
        .describe(
          "Custom executables qualify even once the novelty filter's baseline has established them (status known): every home-built program is then judged forever. Default: false",
        ),
      allowlisted: z.boolean().default(false).describe('Allowlisted identities qualify. Default: false'),
      during_learning: z
        .boolean()
        .default(false)
        .describe(
          'Identities the novelty filter marks as still learning (its baseline is too young to call anything new) qualify by their status; when false only custom executables qualify during learning. Default: false',
        ),
      missing_status: z
        .boolean()
        .default(false)
        .describe('Flows without a novelty status (no novelty filter upstream) qualify. Default: false'),
    })
    .prefault({})
    .describe('Which process identities the rules judge (from the novelty filter).'),
  interim_flows: z
    .enum(['consume', 'pass'])
    .default('consume')
    .describe(
      'Interim updates of open windows (`egressguard.flow.interim`) are judged by AN0145 so that a detection fires at the connection that crossed its thresholds; afterwards they are `consume`d (dropped, counted as `interim_flow`: the window record follows) or `pass`ed on. Default: consume',
    ),
  overflow: z
    .enum(['report', 'judge', 'ignore'])
    .default('report')
    .describe(
      'Flow records that aggregate keys past the aggregator bound: `report` emits a low-severity overflow finding, `judge` runs the rules on them, `ignore` only counts them. Default: report',
    ),
  adaptive: z
    .strictObject({
      enabled: z
        .boolean()
        .default(false)
        .describe('Judge each identity against its own baseline. Default: false'),
      min_windows: z
        .number()
        .int()
        .min(1)
        .default(12)
        .describe('Windows of history an identity needs before it is judged. Default: 12'),
      history_windows: z
        .number()
        .int()
        .min(2)
        .default(48)
        .describe('Windows kept per identity (the last N). Default: 48'),
      deviation_threshold: z
        .number()
        .gt(0)
        .default(3.5)
        .describe(
          'Robust z-score (median and MAD) at or past which a window deviates (Iglewicz and Hoaglin). Default: 3.5',
        ),
      min_connections: z
        .number()
        .int()
        .min(1)
        .default(5)
        .describe('Counted connections a window needs before a deviation fires. Default: 5'),
      max_identities: z
        .number()
        .int()
        .min(1)
        .default(10_000)
        .describe('Identities with a baseline; least recent evicted and counted. Default: 10000'),
    })
    .prefault({})
    .describe('Adaptive mode: per-identity baselines of connections per window and received/sent ratio.'),
  suppress_ms: z
    .number()
    .int()
    .min(0)
    .default(3_600_000)
    .describe(
      'At most one detection per key and finding in this much event time; repeats are counted on the next one. Default: 3600000',
    ),
  max_suppression_keys: z
    .number()
    .int()
    .min(1)
    .default(10_000)
    .describe('Keys the suppression remembers; least recent evicted and counted. Default: 10000'),
  max_fired_ids: z
    .number()
    .int()
    .min(1)
    .default(10_000)
    .describe(
      'Detection ids remembered so corrections of a window never fire twice; least recent evicted and counted. Default: 10000',
    ),
});

/** Configuration of the ratio detector (defaults applied). */
export type RatioDetectorConfig = z.output<typeof schema>;
/** The thresholds of every rule. */
export type Thresholds = RatioDetectorConfig['thresholds'];

/** The ratio detector's configuration definition: validator, defaults, JSON Schema. */
export const ratioDetectorConfig = defineConfig(schema);

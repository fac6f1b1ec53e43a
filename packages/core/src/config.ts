/**
 * Schema-first configuration: one zod definition gives the TypeScript type, the runtime validator (unknown keys
 * rejected, errors naming the key path), the defaults, the JSON Schema the CLI prints and the README table.
 */
import { z } from 'zod';

import { ConfigError } from './errors.ts';

/** A component's configuration, defined once. */
export interface ConfigDefinition<T> {
  /** The zod schema; objects in it should be `z.strictObject` so unknown keys are errors. */
  readonly schema: z.ZodType<T>;
  /**
   * Validates raw input (from YAML, JSON or code) and returns the full config with defaults applied.
   * Throws {@link ConfigError} naming each bad key as `prefix.path.to.key`.
   */
  parse(input: unknown, prefix?: string): T;
  /** The full default configuration (what `parse({})` returns). */
  defaults(): T;
  /** The JSON Schema (draft 2020-12) of the input. */
  jsonSchema(): Record<string, unknown>;
}

/** Defines a component configuration from a zod schema. */
export function defineConfig<S extends z.ZodType>(schema: S): ConfigDefinition<z.output<S>> {
  return {
    schema: schema as unknown as z.ZodType<z.output<S>>,
    parse(input: unknown, prefix = ''): z.output<S> {
      const result = schema.safeParse(input ?? {});
      if (result.success) return result.data;
      throw new ConfigError(result.error.issues.flatMap((issue) => describeIssue(issue, prefix)));
    },
    defaults(): z.output<S> {
      return schema.parse({});
    },
    jsonSchema(): Record<string, unknown> {
      return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
    },
  };
}

function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  const parts = path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)));
  let out = prefix;
  for (const part of parts) out = part.startsWith('[') ? `${out}${part}` : out ? `${out}.${part}` : part;
  return out;
}

function describeIssue(issue: z.core.$ZodIssue, prefix: string): { path: string; message: string }[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: joinPath(prefix, [...issue.path, key]),
      message: 'unknown key',
    }));
  }
  return [{ path: joinPath(prefix, issue.path), message: issue.message }];
}

/** One row of a configuration reference table. */
export interface ConfigRow {
  readonly key: string;
  readonly type: string;
  readonly default: string;
  readonly description: string;
}

/** Flattens a JSON Schema into rows (`a.b.c`, type, default, description) for READMEs and `describe`. */
export function configRows(jsonSchema: Record<string, unknown>, prefix = ''): ConfigRow[] {
  const rows: ConfigRow[] = [];
  const props = (jsonSchema.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const [key, prop] of Object.entries(props)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const type = typeOf(prop);
    rows.push({
      key: path,
      type,
      default: prop.default === undefined ? '' : JSON.stringify(prop.default),
      description: typeof prop.description === 'string' ? prop.description : '',
    });
    if (prop.type === 'object' && prop.properties) rows.push(...configRows(prop, path));
    rows.push(...variantRows(prop, path));
  }
  return rows;
}

/**
 * Rows for the members of a tagged union (`oneOf`/`anyOf` of objects): each member's keys, its description
 * prefixed with the tag that selects it (`type: "hopping"`), the tag itself left out.
 */
function variantRows(prop: Record<string, unknown>, path: string): ConfigRow[] {
  const members = (prop.oneOf ?? prop.anyOf) as Record<string, unknown>[] | undefined;
  if (!Array.isArray(members)) return [];
  const rows: ConfigRow[] = [];
  for (const member of members) {
    const props = member.properties as Record<string, Record<string, unknown>> | undefined;
    if (member.type !== 'object' || !props) continue;
    const tag = Object.entries(props).find(([, p]) => p.const !== undefined);
    const when = tag ? `(${tag[0]}: ${JSON.stringify(tag[1].const)}) ` : '';
    const own = {
      ...member,
      properties: Object.fromEntries(Object.entries(props).filter(([k]) => k !== tag?.[0])),
    };
    for (const row of configRows(own, path)) rows.push({ ...row, description: `${when}${row.description}` });
  }
  return rows;
}

function typeOf(prop: Record<string, unknown>): string {
  if (Array.isArray(prop.enum)) return prop.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (prop.type === 'array') {
    const items = (prop.items ?? {}) as Record<string, unknown>;
    return `${typeOf(items)}[]`;
  }
  if (Array.isArray(prop.anyOf)) return (prop.anyOf as Record<string, unknown>[]).map(typeOf).join(' \\| ');
  if (Array.isArray(prop.oneOf)) return (prop.oneOf as Record<string, unknown>[]).map(typeOf).join(' \\| ');
  if (prop.const !== undefined) return JSON.stringify(prop.const);
  return typeof prop.type === 'string' ? prop.type : 'any';
}

/** Renders configuration rows as a Markdown table. */
export function configTable(rows: readonly ConfigRow[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = ['| key | type | default | description |', '| --- | --- | --- | --- |'];
  for (const row of rows) {
    lines.push(
      `| \`${row.key}\` | ${row.type} | ${row.default ? `\`${esc(row.default)}\`` : ''} | ${esc(row.description)} |`,
    );
  }
  return lines.join('\n');
}

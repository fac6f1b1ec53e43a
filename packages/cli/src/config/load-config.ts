/**
 * Reads the configuration file (YAML or JSON, in the OpenTelemetry Collector's shape), substitutes `${env:…}`
 * references, validates every component with its own schema and checks the pipelines against the components. All
 * problems are collected and thrown together as one {@link ConfigError}, each named by its key path.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { ConfigError, componentType, type ProcessorFactory, type ProcessorRegistry } from '@egressguard/core';
import { parseDocument } from 'yaml';

import { EXPORTER_TYPES, RECEIVER_TYPES, serviceConfig, type ServiceSection } from './components.ts';
import { substituteEnv } from './env-substitution.ts';

type Issue = { path: string; message: string };

/** A configured component: its id (`type` or `type/name`), type and validated options. */
export interface ComponentConfig<C = unknown> {
  readonly id: string;
  readonly type: string;
  readonly config: C;
}

/** A configured processor, with the factory that creates it. */
export interface ProcessorConfig extends ComponentConfig {
  readonly factory: ProcessorFactory<unknown>;
}

/** One pipeline: component ids in order. */
export interface PipelineConfig {
  readonly id: string;
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
}

/** A validated configuration. */
export interface ResolvedConfig {
  readonly receivers: ReadonlyMap<string, ComponentConfig>;
  readonly processors: ReadonlyMap<string, ProcessorConfig>;
  readonly exporters: ReadonlyMap<string, ComponentConfig>;
  readonly pipelines: readonly PipelineConfig[];
  readonly state: ServiceSection['state'] & {
    /** The state directory, absolute. */
    readonly path: string;
    /** Whether the file set `service.state.directory` (replay uses a temporary directory otherwise). */
    readonly explicit: boolean;
  };
}

/** Options of {@link parseConfigText}. */
export interface ParseConfigOptions {
  /** The processor factories components may use. */
  readonly registry: ProcessorRegistry;
  /** Environment for `${env:…}`. Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths (the state directory) are resolved against. Default: `process.cwd()`. */
  readonly cwd?: string;
  /** Whether receivers and exporters are required in each pipeline (`run`: yes; `replay` ignores them). */
  readonly requireEnds?: boolean;
}

const ID = /^[a-z][a-z0-9_]*(\/[^\s/]+)?$/;
const TOP_LEVEL = new Set(['receivers', 'processors', 'exporters', 'service', 'extensions', 'connectors']);

/** Reads and validates a configuration file; throws {@link ConfigError} listing every problem. */
export function loadConfigFile(path: string, options: ParseConfigOptions): ResolvedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([{ path: '', message: `cannot read ${path}: ${(error as Error).message}` }]);
  }
  return parseConfigText(text, options);
}

/** Validates configuration text (YAML, or JSON which is YAML too); throws {@link ConfigError} listing every problem. */
export function parseConfigText(text: string, options: ParseConfigOptions): ResolvedConfig {
  const issues: Issue[] = [];
  const sub = substituteEnv(text, options.env ?? process.env);
  for (const m of sub.missing) {
    issues.push({
      path: `line ${m.line}`,
      message: `environment variable ${m.name} is not set and has no default (write \${env:${m.name}:-default})`,
    });
  }
  for (const m of sub.malformed) {
    issues.push({
      path: `line ${m.line}`,
      message: `${m.reference} is not a valid reference; write \${env:NAME} or \${env:NAME:-default} ($$ for a literal $)`,
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const doc = parseDocument(sub.text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}` : '',
        // The first line of the message, without the position it repeats ("… at line 4, column 3:").
        message: e.message.split('\n')[0].replace(/ at line \d+, column \d+:$/, ''),
      })),
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined)
    throw new ConfigError([{ path: '', message: 'the configuration is empty' }]);
  if (!isPlainObject(raw))
    throw new ConfigError([{ path: '', message: 'the configuration must be a mapping' }]);

  for (const key of Object.keys(raw)) {
    if (!TOP_LEVEL.has(key))
      issues.push({ path: key, message: 'unknown key (expected receivers, processors, exporters, service)' });
    else if (key === 'extensions' || key === 'connectors')
      issues.push({ path: key, message: `${key} are not supported by egressguard` });
  }

  const declared = {
    receivers: new Set<string>(),
    processors: new Set<string>(),
    exporters: new Set<string>(),
  };
  const receivers = parseComponents(
    raw.receivers,
    'receivers',
    issues,
    declared.receivers,
    (id, type, value, path) => {
      const def = RECEIVER_TYPES[type];
      if (!def) return unknownType(issues, path, 'receiver', type, Object.keys(RECEIVER_TYPES));
      return { id, type, config: parseWith(issues, () => def.parse(value ?? {}, path)) };
    },
  );
  const exporters = parseComponents(
    raw.exporters,
    'exporters',
    issues,
    declared.exporters,
    (id, type, value, path) => {
      const def = EXPORTER_TYPES[type];
      if (!def) return unknownType(issues, path, 'exporter', type, Object.keys(EXPORTER_TYPES));
      return { id, type, config: parseWith(issues, () => def.parse(value ?? {}, path)) };
    },
  );
  const processors = parseComponents(
    raw.processors,
    'processors',
    issues,
    declared.processors,
    (id, type, value, path) => {
      const factory = options.registry.get(type);
      if (!factory)
        return unknownType(
          issues,
          path,
          'processor',
          type,
          options.registry.list().map((f) => f.type),
        );
      return { id, type, factory, config: parseWith(issues, () => factory.config.parse(value ?? {}, path)) };
    },
  );

  let service: ServiceSection | undefined;
  if (raw.service === undefined || raw.service === null) {
    issues.push({
      path: 'service.pipelines',
      message: 'required: at least one pipeline (service.pipelines.logs)',
    });
  } else {
    service = parseWith(issues, () => serviceConfig.parse(raw.service, 'service'));
  }

  const pipelines: PipelineConfig[] = [];
  if (service) {
    const entries = Object.entries(service.pipelines);
    if (entries.length === 0)
      issues.push({
        path: 'service.pipelines',
        message: 'required: at least one pipeline (service.pipelines.logs)',
      });
    for (const [id, p] of entries) {
      const path = `service.pipelines.${id}`;
      if (!/^logs(\/[^\s/]+)?$/.test(id)) {
        issues.push({
          path,
          message: 'pipeline ids are `logs` or `logs/<name>`: egressguard processes logs only',
        });
        continue;
      }
      checkRefs(issues, `${path}.receivers`, p.receivers, declared.receivers, 'receiver', 'receivers');
      checkRefs(issues, `${path}.processors`, p.processors, declared.processors, 'processor', 'processors');
      checkRefs(issues, `${path}.exporters`, p.exporters, declared.exporters, 'exporter', 'exporters');
      if (options.requireEnds !== false) {
        if (p.receivers.length === 0)
          issues.push({ path: `${path}.receivers`, message: 'a pipeline needs at least one receiver' });
        if (p.exporters.length === 0)
          issues.push({ path: `${path}.exporters`, message: 'a pipeline needs at least one exporter' });
      }
      pipelines.push({ id, receivers: p.receivers, processors: p.processors, exporters: p.exporters });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const s = service!;
  const stateSection =
    isPlainObject(raw.service) && isPlainObject(raw.service.state) ? raw.service.state : {};
  return {
    receivers,
    processors,
    exporters,
    pipelines,
    state: {
      ...s.state,
      path: resolve(options.cwd ?? process.cwd(), s.state.directory),
      explicit: 'directory' in stateSection,
    },
  };
}

function parseComponents<T extends ComponentConfig>(
  section: unknown,
  name: string,
  issues: Issue[],
  declared: Set<string>,
  parse: (id: string, type: string, value: unknown, path: string) => T | undefined,
): Map<string, T> {
  const out = new Map<string, T>();
  if (section === undefined || section === null) return out;
  if (!isPlainObject(section)) {
    issues.push({ path: name, message: 'must be a mapping of component ids to their options' });
    return out;
  }
  for (const [id, value] of Object.entries(section)) {
    const path = `${name}.${id}`;
    if (!ID.test(id)) {
      issues.push({
        path,
        message:
          'component ids are `type` or `type/name` (type in snake_case, name without spaces or slashes)',
      });
      continue;
    }
    if (value !== null && value !== undefined && !isPlainObject(value)) {
      issues.push({ path, message: 'must be a mapping of options (or empty)' });
      continue;
    }
    // Declared even when its options are bad, so that pipelines naming it do not get a second, misleading error.
    declared.add(id);
    const parsed = parse(id, componentType(id), value, path);
    if (parsed) out.set(id, parsed);
  }
  return out;
}

function parseWith<T>(issues: Issue[], parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ConfigError) issues.push(...error.issues);
    else issues.push({ path: '', message: (error as Error).message });
    return undefined as T;
  }
}

function unknownType(
  issues: Issue[],
  path: string,
  kind: string,
  type: string,
  known: readonly string[],
): undefined {
  issues.push({ path, message: `unknown ${kind} type "${type}" (known: ${[...known].sort().join(', ')})` });
  return undefined;
}

function checkRefs(
  issues: Issue[],
  path: string,
  ids: readonly string[],
  defined: ReadonlySet<string>,
  kind: string,
  section: string,
): void {
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) issues.push({ path: `${path}[${i}]`, message: `${kind} "${id}" is listed twice` });
    seen.add(id);
    if (!defined.has(id))
      issues.push({ path: `${path}[${i}]`, message: `${kind} "${id}" is not defined in ${section}` });
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

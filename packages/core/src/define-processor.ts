/**
 * One way to define a processor: type, metadata, configuration, versioned state and a constructor, in one place. The
 * factory the registry uses, the README's configuration and contract sections, the conformance checks and the
 * schema reference's writer and reader columns all come from this one definition.
 */
import type { z } from 'zod';

import type { AttributeName, AttributePrefixName, EventNameValue } from '@egressguard/schema';

import type { ConfigDefinition } from './config.ts';
import type {
  Processor,
  ProcessorContext,
  ProcessorMetadata,
  ProcessorSnapshot,
  Stability,
} from './processor.ts';
import type { ProcessorFactory } from './registry.ts';

/** What a processor reads or writes: event names and attribute names of the schema, typed. */
export interface ContractSide {
  readonly events: readonly EventNameValue[];
  /** Attribute names (record or resource) and documented prefix families (`egressguard.detection.evidence.<name>`). */
  readonly attributes: readonly (AttributeName | AttributePrefixName)[];
  /** What it reads from or writes to the record body, when it uses the body at all. */
  readonly body?: string;
}

/** A migration of a state snapshot from `from` to `from + 1`. */
export interface StateMigration {
  readonly from: number;
  /** The schema of version `from`: the older snapshot is validated before it is migrated. */
  readonly schema: z.ZodType;
  /** Turns a valid version-`from` state into a version `from + 1` one (validated in turn). */
  migrate(older: never): unknown;
}

/** A processor's state: its current version, its zod schema and the migrations from older versions. */
export interface StateDefinition<S> {
  readonly version: number;
  readonly schema: z.ZodType<S>;
  /** The snapshot of a state: `{ version, ...state }`, plain JSON. */
  encode(state: S): ProcessorSnapshot;
  /**
   * Validates a snapshot (migrating older versions) and returns its state. Throws an error naming the owner, the
   * version and the key that is wrong; never returns an unchecked value.
   */
  decode(snapshot: unknown, owner: string): S;
}

/** Defines a versioned state from its current zod schema and the migrations of older versions. */
export function defineState<S extends object>(definition: {
  readonly version: number;
  readonly schema: z.ZodType<S>;
  readonly migrations?: readonly StateMigration[];
}): StateDefinition<S> {
  const { version, schema } = definition;
  const migrations = new Map((definition.migrations ?? []).map((m) => [m.from, m]));
  return {
    version,
    schema,
    encode(state: S): ProcessorSnapshot {
      return { version, ...state };
    },
    decode(snapshot: unknown, owner: string): S {
      if (typeof snapshot !== 'object' || snapshot === null || Array.isArray(snapshot))
        throw new Error(`${owner}: state snapshot is not an object`);
      const { version: written, ...rest } = snapshot as Record<string, unknown>;
      if (typeof written !== 'number' || !Number.isInteger(written))
        throw new Error(`${owner}: state snapshot has no integer "version"`);
      if (written > version)
        throw new Error(
          `${owner}: state snapshot has unknown version ${written} (this build reads up to ${version})`,
        );
      let state: unknown = rest;
      for (let at = written; at < version; at++) {
        const migration = migrations.get(at);
        if (!migration)
          throw new Error(
            `${owner}: state snapshot has unknown version ${written} (this build reads ${[...migrations.keys(), version].join(', ')})`,
          );
        state = migration.migrate(validate(migration.schema, state, owner, at) as never);
      }
      return validate(schema, state, owner, version);
    },
  };
}

function validate<T>(schema: z.ZodType<T>, value: unknown, owner: string, version: number): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    return `${key === '' ? '(top level)' : key.replace(/^\./, '')}: ${issue.message}`;
  });
  throw new Error(`${owner}: state snapshot (version ${version}) is not valid: ${problems.join('; ')}`);
}

/** What a processor package declares once. */
export interface ProcessorDefinition<C> {
  /** The component type used in configuration (`http_flow_aggregator`). */
  readonly type: string;
  readonly description: string;
  readonly stability: Stability;
  readonly reads: ContractSide;
  readonly writes: ContractSide;
  readonly config: ConfigDefinition<C>;
  /** The versioned state, for a processor that keeps state across batches; absent for a stateless one. */
  readonly state?: StateDefinition<object>;
  /** Creates the processor; `context.metadata` and `context.state` are this definition's. */
  create(config: C, context: DefinedContext): Processor;
}

/** The context a defined processor is created with: the runtime's, plus its own definition's metadata and state. */
export interface DefinedContext extends ProcessorContext {
  readonly metadata: ProcessorMetadata;
  readonly state?: StateDefinition<object>;
}

/** A factory made by {@link defineProcessor}: what the registry needs, plus the state definition. */
export interface DefinedProcessorFactory<C> extends ProcessorFactory<C> {
  readonly state?: StateDefinition<object>;
}

/** Defines a processor once; returns the factory the registry, the docs and the conformance suite use. */
export function defineProcessor<C>(definition: ProcessorDefinition<C>): DefinedProcessorFactory<C> {
  const metadata: ProcessorMetadata = Object.freeze({
    type: definition.type,
    description: definition.description,
    stability: definition.stability,
    stateful: definition.state !== undefined,
    reads: definition.reads,
    writes: definition.writes,
  });
  const state = definition.state;
  return Object.freeze({
    type: definition.type,
    metadata,
    config: definition.config,
    ...(state ? { state } : {}),
    create(config: C, context: ProcessorContext): Processor {
      return definition.create(config, { ...context, metadata, ...(state ? { state } : {}) });
    },
  });
}

/** Every name of a contract side, events first, then attributes, then the body when used (for listings). */
export function contractNames(side: ContractSide): string[] {
  return [...side.events, ...side.attributes, ...(side.body === undefined ? [] : [`body (${side.body})`])];
}

/** The README's contract section of a processor: what it reads and writes, as generated Markdown. */
export function contractMarkdown(metadata: ProcessorMetadata): string {
  const side = (title: string, s: ContractSide): string[] => [
    `**${title}**`,
    '',
    ...(s.events.length ? [`- events: ${s.events.map((e) => `\`${e}\``).join(', ')}`] : []),
    ...(s.attributes.length ? [`- attributes: ${s.attributes.map((a) => `\`${a}\``).join(', ')}`] : []),
    ...(s.body === undefined ? [] : [`- body: ${s.body}`]),
    '',
  ];
  return [
    ...side('Reads', metadata.reads),
    ...side('Writes', metadata.writes),
    `Stateful: ${metadata.stateful ? 'yes (its state is saved and restored by the runtime)' : 'no'}. Stability: ${metadata.stability}.`,
  ].join('\n');
}

/** The descriptive part of a definition, which a package may keep beside its processor. */
export type ProcessorDescription = Pick<
  ProcessorDefinition<never>,
  'type' | 'description' | 'stability' | 'reads' | 'writes'
>;

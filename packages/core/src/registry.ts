/**
 * Processor factories by type. Components are named `type` or `type/name` as in the OpenTelemetry Collector; the
 * registry validates each component's options with its own schema before creating it.
 */
import type { ConfigDefinition } from './config.ts';
import type { Processor, ProcessorContext, ProcessorMetadata } from './processor.ts';

/** Creates processors of one type. */
export interface ProcessorFactory<C = unknown> {
  readonly type: string;
  readonly metadata: ProcessorMetadata;
  readonly config: ConfigDefinition<C>;
  /** Creates a processor from a validated config; may throw a ConfigError for cross-field conflicts. */
  create(config: C, context: ProcessorContext): Processor;
}

/** The type part of a component id (`novelty_filter/strict` → `novelty_filter`). */
export function componentType(id: string): string {
  const slash = id.indexOf('/');
  return slash === -1 ? id : id.slice(0, slash);
}

/** A set of processor factories. */
export class ProcessorRegistry {
  private readonly factories = new Map<string, ProcessorFactory<unknown>>();

  /** Registers a factory; a type can be registered once. */
  register<C>(factory: ProcessorFactory<C>): this {
    if (this.factories.has(factory.type))
      throw new Error(`egressguard: processor type ${factory.type} is registered twice`);
    this.factories.set(factory.type, factory);
    return this;
  }

  /** The factory of a type, or `undefined`. */
  get(type: string): ProcessorFactory<unknown> | undefined {
    return this.factories.get(type);
  }

  /** Every registered factory, by type name order. */
  list(): ProcessorFactory<unknown>[] {
    return [...this.factories.values()].sort((a, b) => a.type.localeCompare(b.type));
  }

  /**
   * Validates `rawConfig` with the type's schema and creates the processor. Errors name the component:
   * `processors.novelty_filter/strict.history_ms: …`.
   */
  create(
    id: string,
    rawConfig: unknown,
    context: Omit<ProcessorContext, 'id'>,
    pathPrefix = 'processors',
  ): Processor {
    const type = componentType(id);
    const factory = this.factories.get(type);
    if (!factory) {
      throw new Error(
        `egressguard: ${pathPrefix}.${id}: unknown processor type "${type}" (known: ${[...this.factories.keys()].sort().join(', ')})`,
      );
    }
    const config = factory.config.parse(rawConfig ?? {}, `${pathPrefix}.${id}`);
    return factory.create(config, { ...context, id });
  }
}

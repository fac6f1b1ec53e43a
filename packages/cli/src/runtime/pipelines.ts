/**
 * Builds the configured pipelines (one processor instance per pipeline, as the Collector does) and keeps their
 * state in the state directory: one atomic snapshot file per pipeline.
 */
import { join } from 'node:path';

import { ConfigError, FileStateStore, Pipeline, type PipelineSnapshot } from '@egressguard/core';
import type { PipelineRecord } from '@egressguard/schema';

import type { PipelineConfig, ResolvedConfig } from '../config/load-config.ts';

/** A pipeline built from the configuration. */
export interface BuiltPipeline {
  readonly config: PipelineConfig;
  readonly pipeline: Pipeline;
}

/**
 * Builds one pipeline. Records a stage emits later (a timer closed a window) continue down the chain and reach
 * `onEmit`. Throws {@link ConfigError} when a processor rejects its configuration at construction.
 */
export function buildPipeline(
  config: ResolvedConfig,
  pipelineConfig: PipelineConfig,
  onEmit: (records: PipelineRecord[]) => void | Promise<void>,
  now: () => number = Date.now,
): BuiltPipeline {
  const pipeline = new Pipeline({ onEmit });
  const issues: { path: string; message: string }[] = [];
  for (const id of pipelineConfig.processors) {
    const processor = config.processors.get(id)!;
    try {
      pipeline.addStage(id, (emit) => processor.factory.create(processor.config, { id, now, emit }));
    } catch (error) {
      if (error instanceof ConfigError) issues.push(...error.issues);
      else issues.push({ path: `processors.${id}`, message: (error as Error).message });
    }
  }
  if (issues.length > 0) {
    void pipeline.shutdown();
    throw new ConfigError(issues);
  }
  return { config: pipelineConfig, pipeline };
}

/**
 * Creates every processor of every pipeline and shuts it down again: catches the cross-field conflicts that only
 * construction detects (`validate` uses it). Throws {@link ConfigError} listing every problem.
 */
export async function checkConstruction(config: ResolvedConfig): Promise<void> {
  const issues: { path: string; message: string }[] = [];
  for (const p of config.pipelines) {
    try {
      await buildPipeline(config, p, () => undefined).pipeline.shutdown();
    } catch (error) {
      if (error instanceof ConfigError) issues.push(...error.issues);
      else throw error;
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

/** The snapshot file of a pipeline in a state directory (`logs/edge` → `logs%2Fedge.json`). */
export function stateFile(directory: string, pipelineId: string): string {
  return join(directory, `${encodeURIComponent(pipelineId)}.json`);
}

/** Restores a pipeline from its snapshot in `directory`, when there is one; returns whether it did. */
export function restorePipeline(built: BuiltPipeline, directory: string): boolean {
  const store = new FileStateStore<PipelineSnapshot>(stateFile(directory, built.config.id));
  const snapshot = store.load();
  if (snapshot === undefined) return false;
  if (typeof snapshot !== 'object' || snapshot === null || Array.isArray(snapshot)) {
    throw new Error(
      `egressguard: state file ${store.path} is not a pipeline snapshot (a JSON object with "version": 1); move it aside to start from an empty state`,
    );
  }
  if (snapshot.version !== 1 || typeof snapshot.stages !== 'object' || snapshot.stages === null) {
    throw new Error(
      `egressguard: state file ${store.path} has unknown version ${String(snapshot.version)}; move it aside to start from an empty state`,
    );
  }
  try {
    built.pipeline.restore(snapshot);
  } catch (cause) {
    throw new Error(
      `egressguard: cannot restore ${store.path}: ${(cause as Error).message}; move it aside to start from an empty state`,
      { cause },
    );
  }
  return true;
}

/** Saves a pipeline's snapshot to `directory` atomically. */
export async function savePipeline(built: BuiltPipeline, directory: string): Promise<void> {
  const snapshot = await built.pipeline.snapshot();
  new FileStateStore<PipelineSnapshot>(stateFile(directory, built.config.id)).save(snapshot);
}

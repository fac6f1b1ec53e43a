/**
 * Runs the real `egressguard` command as a child process, from source.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { assertNoRecordsLostReported } from '@egressguard/core/testing';

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const BIN = resolve(REPO_ROOT, 'packages', 'cli', 'src', 'bin.ts');

/** The result of a finished command. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link startCli} and {@link runCli}. */
export interface CliOptions {
  readonly cwd?: string;
  /** Added to (or, with `undefined` values, removed from) the environment. */
  readonly env?: Record<string, string | undefined>;
  readonly input?: string;
}

function environment(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The default chain depends on these; tests set them explicitly when they mean to.
  delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
  delete env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Starts the command; the caller owns the child. */
export function startCli(args: readonly string[], options: CliOptions = {}): ChildProcessWithoutNullStreams {
  return spawn(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      '--conditions=egressguard-source',
      BIN,
      ...args,
    ],
    { cwd: options.cwd ?? REPO_ROOT, env: environment(options.env), stdio: 'pipe' },
  );
}

/**
 * Collects a child's output until it exits. Every command that ran a chain must have lost no record: the result is
 * rejected when its error output reports `records_lost` (or a non-zero lost figure).
 */
export function collect(child: ChildProcessWithoutNullStreams): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      try {
        assertNoRecordsLostReported(stderr);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs the command to completion. */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const child = startCli(args, options);
  const done = collect(child);
  child.stdin.end(options.input ?? '');
  return done;
}

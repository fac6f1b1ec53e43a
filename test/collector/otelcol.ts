/**
 * Finds the test Collector that `test/collector/build.sh` built (under the cache directory, keyed by the hash of
 * go.mod, go.sum and main.go) and runs it. Where Go is missing the tests that need it skip, saying so; in CI
 * (`CI=true`) a missing Collector is a failure, never a skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The binary's path for the current go.mod/go.sum/main.go (whether or not it was built). */
export function collectorPath(): string {
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'main.go']) hash.update(readFileSync(join(HERE, file)));
  const root = process.env.EGRESSGUARD_CACHE_DIR || join(homedir(), '.cache', 'egressguard');
  return join(root, 'otelcol', 'bin', hash.digest('hex').slice(0, 16), 'otelcol');
}

function hasGo(): boolean {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

/**
 * The Collector binary, or why the test must skip. Builds it when Go is there and the binary is not (the build
 * takes minutes; `.ci/run` builds it before the tests). Throws in CI when it cannot be had.
 */
export function findCollector(): { path: string; skip: false } | { path: undefined; skip: string } {
  const path = collectorPath();
  if (existsSync(path)) return { path, skip: false };
  if (!hasGo()) {
    const reason =
      'Go is not installed: cannot build the test OpenTelemetry Collector (test/collector/build.sh)';
    if (process.env.CI === 'true') throw new Error(`CI: ${reason}`);
    return { path: undefined, skip: reason };
  }
  const built = spawnSync('bash', [join(HERE, 'build.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (built.status !== 0 || !existsSync(path))
    throw new Error(
      `test/collector/build.sh failed (exit ${built.status}): the test Collector could not be built`,
    );
  return { path, skip: false };
}

/** `otelcol validate --config FILE` with the given environment: its exit status and output. */
export function validateConfig(
  binary: string,
  file: string,
  env: Record<string, string> = {},
): { status: number | null; output: string } {
  const run = spawnSync(binary, ['validate', `--config=${file}`], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** A running Collector and everything it logged so far. */
export interface RunningCollector {
  readonly child: ChildProcess;
  readonly log: () => string;
  /** SIGTERM, then waits for the exit (SIGKILL after 20 s). */
  stop(): Promise<void>;
}

/**
 * Starts `otelcol --config FILE` with the given environment. The Collector's own metrics are switched off with a
 * second configuration layered on the file: by default every Collector binds 127.0.0.1:8888 for them, and test files
 * run in parallel would collide there.
 */
export function startCollector(binary: string, file: string, env: Record<string, string>): RunningCollector {
  const dir = mkdtempSync(join(tmpdir(), 'egressguard-otelcol-'));
  const quiet = join(dir, 'no-internal-metrics.yaml');
  writeFileSync(quiet, 'service:\n  telemetry:\n    metrics:\n      level: none\n');
  const child = spawn(binary, [`--config=${file}`, `--config=${quiet}`], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      rmSync(dir, { recursive: true, force: true });
      resolve();
    }),
  );
  return {
    child,
    log: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(force);
      }
    },
  };
}

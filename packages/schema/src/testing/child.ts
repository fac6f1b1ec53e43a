/**
 * Tests that need a Node process of their own (engine flags a test runner does not have): the child is one of our
 * TypeScript scripts, and it answers in one JSON line.
 */
import { execFileSync } from 'node:child_process';

/**
 * Runs the TypeScript script `path` in a Node child started with `nodeFlags`, besides what running this project's
 * TypeScript sources takes, and returns the JSON it prints.
 */
export function runScriptChild<T>(path: string, nodeFlags: readonly string[] = []): T {
  const out = execFileSync(
    process.execPath,
    [
      ...nodeFlags,
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      '--conditions=egressguard-source',
      path,
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(out) as T;
}

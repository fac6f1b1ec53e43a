/**
 * `egressguard run` beside the real Collector in the examples' tests: the child process on loopback ports, and the
 * recorded audit log both Collector examples feed it.
 */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';

import { startRun, type RunningService } from '../../../../packages/cli/test/support/run-service.ts';
import { REPO_ROOT } from '../../../../packages/cli/test/support/cli.ts';

/** A running `egressguard run` (the CLI tests' helper). */
export type RunningEgressguard = RunningService;

/**
 * Starts `egressguard run --config FILE` with the given environment (the example's ports come from it); resolves
 * once it prints where its `otlp` receiver listens. The caller owns the child.
 */
export function startEgressguard(
  configFile: string,
  env: Record<string, string>,
): Promise<RunningEgressguard> {
  return startRun(configFile, { env, listen: null });
}

/** The recorded audit log both Collector examples feed egressguard (the failing-implant scenario). */
export const AUDIT_LOG = resolve(REPO_ROOT, 'test', 'scenarios', 'failing-implant', 'auditd.log');
/** The implant of that scenario. */
export const IMPLANT = '/tmp/.ssh-agent-cache/ssh-agent';

/** SIGTERM (egressguard flushes open windows and exports its queue), then the exit code must be 0. */
export async function stopEgressguard(run: RunningEgressguard): Promise<void> {
  run.child.kill('SIGTERM');
  const exit = await run.done;
  assert.equal(exit.code, 0, exit.stderr);
}

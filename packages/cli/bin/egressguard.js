#!/usr/bin/env node
// The `egressguard` command: checks the Node.js version first, then runs the built CLI (dist/bin.js), or, in a
// clone that was installed but not built, the TypeScript sources as the tests run them.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { nodeVersionProblem } from './node-check.js';

const problem = nodeVersionProblem();
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
const built = new URL('../dist/bin.js', import.meta.url);
const source = new URL('../src/bin.ts', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else if (existsSync(source)) {
  // A clone after `npm ci`: the workspace packages resolve to their sources through the egressguard-source condition.
  const child = spawn(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      '--conditions=egressguard-source',
      fileURLToPath(source),
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit' },
  );
  // `egressguard run` shuts down on SIGTERM/SIGINT: pass them on to the child that runs it.
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die of the same signal, as the child did.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
} else {
  process.stderr.write('egressguard: neither dist/bin.js nor src/bin.ts is in the package: reinstall it.\n');
  process.exit(1);
}

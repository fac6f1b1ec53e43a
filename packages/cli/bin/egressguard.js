#!/usr/bin/env node
// The `egressguard` command: checks the Node.js version first, then runs the built CLI (dist/bin.js).
import { nodeVersionProblem } from './node-check.js';

const problem = nodeVersionProblem();
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
try {
  await import('../dist/bin.js');
} catch (error) {
  // Only a missing build is explained; anything else is the CLI's own error and goes up as it is.
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/bin.js')) {
    process.stderr.write(
      'egressguard: the CLI is not built (dist/bin.js is missing): run `npm run build` in the repository first.\n',
    );
    process.exit(1);
  }
  throw error;
}

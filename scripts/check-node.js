// Run by `npm start` and `npm test` before anything that needs a recent Node.js: says which Node.js egressguard needs
// and which one was found, instead of `node: bad option: --experimental-strip-types`.
import { nodeVersionProblem } from '../packages/cli/bin/node-check.js';

const problem = nodeVersionProblem();
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}

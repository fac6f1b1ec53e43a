// Which Node.js egressguard needs, checked before anything that needs it is loaded. Plain JavaScript that any Node.js
// since 14 parses, so that an old Node says what is wrong instead of failing on a flag or a syntax it lacks.

/** The oldest Node.js egressguard runs on (the `engines` field of every package). */
export const REQUIRED_NODE = '22.15.0';

/**
 * Why this Node.js cannot run egressguard, naming the version needed and the one found (and where it is), or
 * `undefined` when it can.
 * @param {string} [version] the version to check; default: the running Node.js
 * @param {string} [execPath] where that Node.js is; default: the running one's path
 * @returns {string | undefined}
 */
export function nodeVersionProblem(version = process.versions.node, execPath = process.execPath) {
  const [major, minor] = version.split('.').map(Number);
  const [needMajor, needMinor] = REQUIRED_NODE.split('.').map(Number);
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return undefined;
  return (
    `egressguard needs Node.js ${REQUIRED_NODE} or later; ` +
    `found Node.js ${version} at ${execPath}. Install Node.js 22 LTS or later (https://nodejs.org) and put it ` +
    'first on PATH.'
  );
}

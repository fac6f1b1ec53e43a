/** The oldest Node.js egressguard runs on (the `engines` field of every package). */
export declare const REQUIRED_NODE: string;
/**
 * Why this Node.js cannot run egressguard, naming the version needed and the one found (and where it is), or
 * `undefined` when it can. Defaults: the running Node.js's version and path.
 */
export declare function nodeVersionProblem(version?: string, execPath?: string): string | undefined;

/**
 * The process identity the baseline is keyed on: stable across upgrades and random build or temp names, so that
 * `/opt/app-1.2.3/bin/app` does not look new after an upgrade to 1.3.0 ("version-specific paths must not look new
 * after every upgrade"), yet coarse enough not to be noisy. Elastic's new-terms rules key on the executable, or
 * host + executable, because finer keys (command line, pid, parent) produced a new term on nearly every run; the
 * default here is the same: host + normalised executable path, plus the user class.
 */
import { posix } from 'node:path';

import { entryBound } from '@egressguard/core';
import { LRUCache } from 'lru-cache';

import { canonicalUsrPath } from './usr-merge.ts';

/** The parts an identity can be built from. */
export const IDENTITY_PARTS = ['path', 'name', 'hash', 'user_class'] as const;
/** One part of an identity. */
export type IdentityPart = (typeof IDENTITY_PARTS)[number];
/** Whether identities are kept per host or across every host one instance sees. */
export type IdentityScope = 'host' | 'global';
/** A coarse class of the user a process runs as, instead of the raw uid (uids differ between hosts). */
export type UserClass = 'root' | 'system' | 'user' | 'unknown';

/** The placeholder of a collapsed version segment. */
export const VERSION_PLACEHOLDER = '<v>';
/** The placeholder of a collapsed hash-like or random segment. */
export const HASH_PLACEHOLDER = '<h>';

const DELETED_SUFFIX = ' (deleted)';

/** What the kernel appends to `/proc/<pid>/exe` when the file was unlinked after the process started. */
export function stripDeletedSuffix(path: string): { path: string; deleted: boolean } {
  return path.endsWith(DELETED_SUFFIX)
    ? { path: path.slice(0, -DELETED_SUFFIX.length), deleted: true }
    : { path, deleted: false };
}

// A dotted version, `v` prefix and pre-release suffix included: 1.2.3, v20.11.1, 3.11, 2.0.0-rc1, 1.2.3+build5.
// Not preceded by a digit or dot (so it starts at the version's first digit), and a letter may precede it
// (python3.11 → python<v>), except that the `v` prefix must start a word (dev1.2 keeps its `dev`).
const VERSION =
  /(?:(?<![A-Za-z])v)?(?<![\d.])\d+(?:\.\d+)+(?:[-.~+]?(?:alpha|beta|rc|pre|dev|snapshot|post|build|final|ga)\.?\d*)?(?![\d])/gi;
const ALNUM_RUN = /[A-Za-z0-9]+/g;
const HEX = /^[0-9a-f]+$/i;
const DIGIT = /\d/;
const LOWER = /[a-z]/;
const UPPER = /[A-Z]/;
const LONG_DIGITS = /\d{6,}/g;
const SHORT_NUMBER = /^\d{1,5}$/;
const SNAP_REVISION = /^(?:x?\d+|current)$/;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const REPEATED_HASH = /<h>(?:[-_.]<h>)+/g;

/** Collapses one alphanumeric run when it looks like a hash, a random name, or carries a long number. */
function collapseToken(token: string): string {
  if (token.length >= 6 && HEX.test(token) && DIGIT.test(token)) return HASH_PLACEHOLDER; // commit ids, digests
  if (token.length >= 16 && DIGIT.test(token) && /[a-z]/i.test(token)) return HASH_PLACEHOLDER; // nix, base32/64 ids
  if (token.length >= 6 && UPPER.test(token) && LOWER.test(token) && DIGIT.test(token))
    return HASH_PLACEHOLDER; // mktemp
  return token.replace(LONG_DIGITS, HASH_PLACEHOLDER); // go-build3518135900 → go-build<h>
}

/**
 * Collapses version and hash-like parts of one path segment (or an executable name):
 * `app-1.2.3` → `app-<v>`, `go-build3518135900` → `go-build<h>`, `java-17-openjdk-amd64` → `java-<v>-openjdk-amd64`,
 * a UUID → `<h>`. A short number stands for a version only as a whole `-`-separated part (`gcc-12`, `postgresql/15`),
 * never inside a word (`python3`, `amd64`) or after `_` (`x86_64`).
 */
export function normaliseSegment(segment: string): string {
  if (segment === '') return segment;
  const versioned = segment.replace(UUID, HASH_PLACEHOLDER).replace(VERSION, VERSION_PLACEHOLDER);
  // Split on '-' first: a short number that is a whole dash-separated part is a version (java-17-openjdk).
  const parts = versioned.split('-').map((part) =>
    SHORT_NUMBER.test(part)
      ? VERSION_PLACEHOLDER
      : part.replace(ALNUM_RUN, (token, offset: number, whole: string) => {
          // Keep the letter of a placeholder (<v>, <h>) intact.
          if (whole[offset - 1] === '<' && whole[offset + token.length] === '>') return token;
          return collapseToken(token);
        }),
  );
  return parts.join('-').replace(REPEATED_HASH, HASH_PLACEHOLDER);
}

/**
 * Normalises an executable path for identity: ` (deleted)` dropped, `.`/`..`/`//` resolved, merged-`/usr` aliases
 * canonical (`/bin/ls` → `/usr/bin/ls`), snap revisions collapsed (`/snap/core22/1380/…` → `/snap/core22/<v>/…`)
 * and every segment passed through {@link normaliseSegment}.
 */
export function normaliseExecutablePath(path: string): string {
  const stripped = stripDeletedSuffix(path).path;
  if (!stripped.startsWith('/')) return normaliseSegment(stripped);
  const segments = canonicalUsrPath(posix.normalize(stripped)).split('/');
  // segments[0] is '' (the path is absolute): /snap/<name>/<revision>/...
  const isSnap = segments[1] === 'snap' && segments.length > 4 && SNAP_REVISION.test(segments[3]);
  return segments
    .map((segment, i) => (isSnap && i === 3 ? VERSION_PLACEHOLDER : normaliseSegment(segment)))
    .join('/');
}

/** Normalises an executable name (`python3.11` → `python<v>`). */
export function normaliseExecutableName(name: string): string {
  return normaliseSegment(stripDeletedSuffix(name).path);
}

/**
 * The class of a user: uid 0 is `root`; uids below `regularUidMin` (Debian's and Fedora's `UID_MIN` in
 * /etc/login.defs is 1000) and `nobody` (65534) are `system` accounts; others are `user`. Without a uid, an owner
 * named `root` is `root` and anything else `unknown`.
 */
export function userClass(
  uid: number | undefined,
  owner: string | undefined,
  regularUidMin = 1000,
): UserClass {
  if (uid !== undefined) {
    if (uid === 0) return 'root';
    if (uid < regularUidMin || uid === 65534) return 'system';
    return 'user';
  }
  if (owner === 'root') return 'root';
  return 'unknown';
}

/** What an identity is built from; all optional, as sensors carry different subsets. */
export interface IdentityInput {
  readonly host?: string | undefined;
  readonly path?: string | undefined;
  readonly name?: string | undefined;
  readonly sha256?: string | undefined;
  readonly uid?: number | undefined;
  readonly owner?: string | undefined;
}

/** Options of {@link IdentityBuilder}. */
export interface IdentityOptions {
  /** The parts, in order. Default `['path', 'user_class']`. */
  readonly parts?: readonly IdentityPart[];
  /** Default `host`. */
  readonly scope?: IdentityScope;
  /** First uid of a regular user. Default 1000. */
  readonly regularUidMin?: number;
  /** Normalised paths and names remembered (normalising is the costly part of an identity). Default 10000. */
  readonly maxCachedPaths?: number;
  /**
   * Identities remembered by host, absolute path and user class, when the parts are path and user class (the
   * default): the same string is handed out again, so neither it nor its hash is made anew. Cleared when full.
   * Default 50000.
   */
  readonly maxCachedIdentities?: number;
}

const USER_CLASS_INDEX: Readonly<Record<UserClass, number>> = { root: 0, system: 1, user: 2, unknown: 3 };

/**
 * Builds identity strings such as `host=web-1|path=/opt/app-<v>/bin/app|user=root`. When the path is a part but the
 * record has none (sensors that only see `comm`), `name=<name>` stands in its place, so such records still have
 * an identity, distinct from any path-keyed one.
 */
export class IdentityBuilder {
  readonly parts: readonly IdentityPart[];
  readonly scope: IdentityScope;
  private readonly regularUidMin: number;
  private readonly normalisedPaths: LRUCache<string, string>;
  private readonly normalisedNames: LRUCache<string, string>;
  /** Whether an identity depends only on host, path and user class (no name or hash part). */
  private readonly byPathAndClass: boolean;
  private readonly maxCachedIdentities: number;
  /** host (or '' when global) → raw absolute path → identity by user class. */
  private identities = new Map<string, Map<string, (string | undefined)[]>>();
  private cachedIdentities = 0;

  constructor(options: IdentityOptions = {}) {
    this.parts = options.parts ?? ['path', 'user_class'];
    this.scope = options.scope ?? 'host';
    this.regularUidMin = options.regularUidMin ?? 1000;
    const max = options.maxCachedPaths ?? 10_000;
    this.normalisedPaths = new LRUCache({ ...entryBound(max), memoMethod: normaliseExecutablePath });
    this.normalisedNames = new LRUCache({ ...entryBound(max), memoMethod: normaliseExecutableName });
    this.byPathAndClass = this.parts.every((part) => part === 'path' || part === 'user_class');
    this.maxCachedIdentities = options.maxCachedIdentities ?? 50_000;
  }

  /** The identity, or `undefined` when the record names no executable (neither path nor name) or lacks a needed host. */
  build(input: IdentityInput): string | undefined {
    const path = input.path;
    // An absolute path (a ' (deleted)' suffix keeps it absolute) decides the identity with the host and user class.
    if (!this.byPathAndClass || path === undefined || path.charCodeAt(0) !== 0x2f) return this.make(input);
    const host = this.scope === 'host' ? input.host : '';
    if (host === undefined) return undefined;
    let byPath = this.identities.get(host);
    let byClass = byPath?.get(path);
    if (byClass === undefined) {
      if (this.cachedIdentities >= this.maxCachedIdentities) {
        this.identities = new Map();
        this.cachedIdentities = 0;
        byPath = undefined;
      }
      if (byPath === undefined) {
        byPath = new Map();
        this.identities.set(host, byPath);
      }
      byClass = [];
      byPath.set(path, byClass);
      this.cachedIdentities++;
    }
    const index = USER_CLASS_INDEX[userClass(input.uid, input.owner, this.regularUidMin)];
    return (byClass[index] ??= this.make(input));
  }

  private make(input: IdentityInput): string | undefined {
    let { path, name } = input;
    const stripped = path === undefined ? undefined : stripDeletedSuffix(path).path;
    if (stripped !== undefined && !stripped.startsWith('/')) {
      // A relative path (resolved against a working directory the record does not carry) or a bare `comm` put in
      // the path field names no file: it is a name, so it gets the same identity as a record carrying that name.
      name ??= posix.basename(stripped);
      path = undefined;
    }
    if (path === undefined && name === undefined) return undefined;
    let out = '';
    if (this.scope === 'host') {
      if (input.host === undefined) return undefined;
      out = `host=${input.host}`;
    }
    for (const part of this.parts) {
      let piece: string;
      switch (part) {
        case 'path':
          if (path !== undefined) piece = `path=${this.normalisedPaths.memo(path)}`;
          else if (this.parts.includes('name'))
            continue; // the name part already says it
          else piece = `name=${this.normalisedNames.memo(name ?? '')}`;
          break;
        case 'name': {
          const base = name ?? posix.basename(stripDeletedSuffix(path ?? '').path);
          piece = `name=${this.normalisedNames.memo(base)}`;
          break;
        }
        case 'hash':
          piece = `sha256=${input.sha256?.toLowerCase() ?? '?'}`;
          break;
        case 'user_class':
          piece = `user=${userClass(input.uid, input.owner, this.regularUidMin)}`;
          break;
      }
      out = out === '' ? piece : `${out}|${piece}`;
    }
    return out;
  }
}

/**
 * Matches a process identity against allowlist entries: by executable hash anywhere, by executable path pattern,
 * and by executable name only when the record carries no path. Why the name waits for an unknown path: a name is
 * whatever the process chose (`comm`, argv[0]), so `/tmp/apt-get` must not pass as apt-get; when a sensor reports
 * only `comm` (bcc's tcplife, some Falco rules), the name is the only identity there is, and is accepted for the
 * distinctive names the entries list.
 */
import { stripDeletedSuffix } from './identity.ts';
import { globToRegExp, isGlob } from './glob.ts';
import type { AllowlistEntry } from './builtin-allowlist.ts';
import { canonicalUsrPath } from './usr-merge.ts';

/** The kernel's `comm` holds at most 15 characters (TASK_COMM_LEN 16 with the terminating NUL). */
const COMM_MAX = 15;

/** How an entry matched. */
export type AllowlistMatchKind = 'sha256' | 'path' | 'name';

/** A match: the entry's qualified id (`builtin:apt`, `user:my-agent`) and what matched. */
export interface AllowlistMatch {
  readonly id: string;
  readonly on: AllowlistMatchKind;
}

/** What the allowlist looks at. */
export interface AllowlistSubject {
  readonly path?: string | undefined;
  readonly name?: string | undefined;
  readonly sha256?: string | undefined;
}

/** Options of {@link Allowlist}. */
export interface AllowlistOptions {
  /** Match names when the record has no path. Default true. */
  readonly nameOnlyWhenPathUnknown?: boolean;
}

/** An allowlist compiled for fast matching. */
export class Allowlist {
  private readonly exactPaths = new Map<string, string>();
  private readonly patterns: { id: string; re: RegExp }[] = [];
  private readonly names = new Map<string, string>();
  private readonly hashes = new Map<string, string>();
  private readonly nameOnly: boolean;

  /**
   * Compiles entry groups in order of precedence (the user's before the built-in ones), each with the prefix of
   * its ids. Throws naming the entry when a pattern does not compile.
   */
  constructor(
    groups: readonly { readonly prefix: string; readonly entries: readonly AllowlistEntry[] }[],
    options: AllowlistOptions = {},
  ) {
    this.nameOnly = options.nameOnlyWhenPathUnknown ?? true;
    for (const { prefix, entries } of groups) {
      for (const entry of entries) {
        const id = `${prefix}:${entry.id}`;
        for (const pattern of entry.paths ?? []) {
          const canonical = canonicalUsrPath(pattern);
          if (!isGlob(canonical)) {
            if (!this.exactPaths.has(canonical)) this.exactPaths.set(canonical, id);
            continue;
          }
          try {
            this.patterns.push({ id, re: globToRegExp(canonical) });
          } catch (cause) {
            throw new Error(`allowlist entry ${id}: ${(cause as Error).message}`, { cause });
          }
        }
        for (const name of entry.names ?? []) if (!this.names.has(name)) this.names.set(name, id);
        for (const hash of entry.sha256 ?? []) {
          const h = hash.toLowerCase();
          if (!this.hashes.has(h)) this.hashes.set(h, id);
        }
      }
    }
  }

  /** The first matching entry, or `undefined`. */
  match(subject: AllowlistSubject): AllowlistMatch | undefined {
    if (subject.sha256 !== undefined) {
      const id = this.hashes.get(subject.sha256.toLowerCase());
      if (id !== undefined) return { id, on: 'sha256' };
    }
    if (subject.path !== undefined) {
      const path = canonicalUsrPath(stripDeletedSuffix(subject.path).path);
      const exact = this.exactPaths.get(path);
      if (exact !== undefined) return { id: exact, on: 'path' };
      for (const { id, re } of this.patterns) if (re.test(path)) return { id, on: 'path' };
      return undefined;
    }
    if (!this.nameOnly || subject.name === undefined) return undefined;
    const id =
      this.names.get(subject.name) ??
      (subject.name.length === COMM_MAX ? this.truncatedName(subject.name) : undefined);
    return id === undefined ? undefined : { id, on: 'name' };
  }

  /** A 15-character `comm` is a truncated longer name: match the listed name it starts. */
  private truncatedName(comm: string): string | undefined {
    for (const [name, id] of this.names) if (name.length > COMM_MAX && name.startsWith(comm)) return id;
    return undefined;
  }
}

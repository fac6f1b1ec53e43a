/**
 * User names by uid from a passwd(5) file, cached and re-read when the cache is older than its time to live.
 */
import { readFileSync } from 'node:fs';

/** Resolves uids to user names. */
export class UserNames {
  private readonly path: string;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private names = new Map<number, string>();
  private loadedAt = Number.NEGATIVE_INFINITY;

  constructor(path: string, ttlMs: number, now: () => number = Date.now) {
    this.path = path;
    this.ttlMs = ttlMs;
    this.now = now;
  }

  /** The user name of a uid, or `undefined` when the file does not list it or cannot be read. */
  name(uid: number): string | undefined {
    const now = this.now();
    if (now - this.loadedAt > this.ttlMs) {
      this.names = parsePasswd(this.path);
      this.loadedAt = now;
    }
    return this.names.get(uid);
  }
}

/** Parses `name:password:uid:gid:gecos:home:shell` lines; the first name of a uid wins, as getpwuid(3) does. */
export function parsePasswd(path: string): Map<number, string> {
  const names = new Map<number, string>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return names;
  }
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(':');
    const uid = Number(fields[2]);
    if (fields.length >= 3 && fields[0] && Number.isSafeInteger(uid) && !names.has(uid))
      names.set(uid, fields[0]);
  }
  return names;
}

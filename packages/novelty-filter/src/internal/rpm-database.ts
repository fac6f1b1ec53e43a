/**
 * File ownership from the rpm database through `rpm -qf`: the database format (BerkeleyDB, NDB, SQLite) changed
 * over the years and only rpm itself reads every one, so each path is asked once and the answer cached (bounded).
 */
import { execFile } from 'node:child_process';

import { entryBound } from '@egressguard/core';
import { LRUCache } from 'lru-cache';

import type { PackageDatabase } from './package-database.ts';

/** Options of {@link RpmDatabase}. */
export interface RpmDatabaseOptions {
  /** The rpm executable. Default `rpm`. */
  readonly command?: string;
  /** Bound on cached answers. */
  readonly maxCached: number;
  /** Time allowed per query. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Called once when rpm cannot be run. */
  readonly onProblem?: (reason: 'rpm_unavailable', message: string, cause?: unknown) => void;
}

/** Asks `rpm -qf` who owns a path. */
export class RpmDatabase implements PackageDatabase {
  readonly kind = 'rpm';
  private readonly command: string;
  private readonly timeoutMs: number;
  private readonly cache: LRUCache<string, boolean>;
  private readonly inFlight = new Map<string, Promise<boolean | undefined>>();
  private readonly onProblem: RpmDatabaseOptions['onProblem'];
  private unavailable = false;

  constructor(options: RpmDatabaseOptions) {
    this.command = options.command ?? 'rpm';
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.cache = new LRUCache(entryBound(options.maxCached));
    this.onProblem = options.onProblem;
  }

  owns(path: string): Promise<boolean | undefined> {
    if (this.unavailable) return Promise.resolve(undefined);
    const cached = this.cache.get(path);
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = this.inFlight.get(path);
    if (!pending) {
      pending = this.query(path).finally(() => this.inFlight.delete(path));
      this.inFlight.set(path, pending);
    }
    return pending;
  }

  private query(path: string): Promise<boolean | undefined> {
    return new Promise((resolve) => {
      execFile(
        this.command,
        ['-qf', '--queryformat', '%{NAME}\\n', '--', path],
        { timeout: this.timeoutMs, env: { ...process.env, LC_ALL: 'C' } },
        (error, stdout: string, stderr: string) => {
          if (!error) {
            this.cache.set(path, true);
            resolve(true);
            return;
          }
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' || code === 'EACCES') {
            this.unavailable = true;
            this.onProblem?.('rpm_unavailable', `cannot run ${this.command}`, error);
            resolve(undefined);
            return;
          }
          // rpm prints "file /x is not owned by any package" for an unowned file; anything else (the file does not
          // exist here, the database is locked) means it cannot tell.
          if (/is not owned by any package/.test(`${stdout}${stderr}`)) {
            this.cache.set(path, false);
            resolve(false);
            return;
          }
          resolve(undefined);
        },
      );
    });
  }
}

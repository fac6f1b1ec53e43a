/**
 * Is an executable "custom"? The measurable meaning: no installed package owns it, it lives in a temporary,
 * hidden or writable directory, it was deleted after it started, or it is absent from the inventory. Each reason is
 * a short code, so a detector and an analyst can see why.
 */
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';

import { entryBound } from '@egressguard/core';
import { LRUCache } from 'lru-cache';

import { stripDeletedSuffix } from './identity.ts';
import type { Inventory } from './inventory.ts';
import type { PackageDatabase } from './package-database.ts';

/** Why an executable is custom. */
export const CUSTOM_REASONS = [
  'not_packaged',
  'temporary_directory',
  'hidden_directory',
  'writable_directory',
  'deleted',
  'not_in_inventory',
] as const;
/** One reason code. */
export type CustomReason = (typeof CUSTOM_REASONS)[number];

/** Directories cleaned by the system or writable by everyone: nothing installed lives there. */
const TEMPORARY_PREFIXES = [
  '/tmp/',
  '/var/tmp/',
  '/dev/shm/',
  '/run/shm/',
  '/run/user/',
  '/var/run/user/',
  '/run/lock/',
  '/var/lock/',
];
/** Home directories: writable by their user, never managed by a package manager. */
const HOME_PREFIXES = ['/home/', '/root/', '/var/home/'];
/** Fileless execution: `memfd_create` then `execveat`, reported by the kernel as `/memfd:<name> (deleted)`. */
const MEMFD_PREFIX = '/memfd:';

/** What the checker looks at. */
export interface CustomCheckSubject {
  readonly path?: string | undefined;
  readonly sha256?: string | undefined;
  /** The sensor said the executable was deleted after start. */
  readonly deleted?: boolean | undefined;
  readonly host?: string | undefined;
  /** Whether the path may be looked up on this machine (package database, file modes). */
  readonly local: boolean;
}

/** The checker's verdict. */
export interface CustomCheckResult {
  readonly custom: boolean;
  readonly reasons: readonly CustomReason[];
  /** Package ownership could not be decided (no database for this host, or it could not tell). */
  readonly packageUnknown: boolean;
}

/** What a path says by itself, before any lookup. */
interface PathFacts {
  /** The absolute path in normal form; `undefined` for a relative path or none. */
  readonly path: string | undefined;
  /** The path ended in ` (deleted)`. */
  readonly deletedSuffix: boolean;
  /** A `memfd_create` file: fileless execution. */
  readonly memfd: boolean;
  /** temporary_directory, hidden_directory, writable_directory (a home directory), in that order. */
  readonly pathReasons: readonly CustomReason[];
}

const NO_PATH: PathFacts = { path: undefined, deletedSuffix: false, memfd: false, pathReasons: [] };
const NOT_CUSTOM: CustomCheckResult = Object.freeze({ custom: false, reasons: [], packageUnknown: false });
const NOT_CUSTOM_UNKNOWN_PACKAGE: CustomCheckResult = Object.freeze({
  custom: false,
  reasons: [],
  packageUnknown: true,
});

/** Options of {@link CustomExecutableChecker}. */
export interface CustomCheckerOptions {
  /** This machine's package database, if any. */
  readonly packages?: PackageDatabase | undefined;
  readonly inventory?: Inventory | undefined;
  /** Bound on cached directory modes. */
  readonly maxCachedStats: number;
  /** How long a cached directory mode is trusted, ms. Default 300000. */
  readonly statTtlMs?: number;
}

/** Decides whether an executable is custom, and why. */
export class CustomExecutableChecker {
  private readonly packages: PackageDatabase | undefined;
  private readonly inventory: Inventory | undefined;
  private readonly writable: LRUCache<string, boolean>;
  private readonly paths: LRUCache<string, PathFacts>;

  constructor(options: CustomCheckerOptions) {
    this.packages = options.packages;
    this.inventory = options.inventory;
    this.writable = new LRUCache({
      ...entryBound(options.maxCachedStats),
      ttl: options.statTtlMs ?? 300_000,
    });
    this.paths = new LRUCache(entryBound(options.maxCachedStats));
  }

  /**
   * Checks one executable; never throws (file-system errors mean "cannot tell"). Answers at once, without a promise,
   * unless the check needs this machine's package database or file modes (`local` and an absolute path).
   */
  check(subject: CustomCheckSubject): CustomCheckResult | Promise<CustomCheckResult> {
    const facts = this.pathFacts(subject.path);
    if (subject.local && facts.path !== undefined && !facts.memfd) return this.checkLocal(subject, facts);
    return this.verdict(subject, facts, facts.pathReasons, true);
  }

  private async checkLocal(subject: CustomCheckSubject, facts: PathFacts): Promise<CustomCheckResult> {
    const path = facts.path!;
    const reasons: CustomReason[] = [];
    let packageUnknown = true;
    if (this.packages) {
      const owned = await this.packages.owns(path);
      if (owned !== undefined) packageUnknown = false;
      if (owned === false) reasons.push('not_packaged');
    }
    for (const reason of facts.pathReasons) if (reason !== 'writable_directory') reasons.push(reason);
    if (facts.pathReasons.includes('writable_directory') || (await this.inWritableDirectory(path)))
      reasons.push('writable_directory');
    return this.verdict(subject, facts, reasons, packageUnknown);
  }

  /** Adds what does not depend on the path alone (deleted, inventory) to the path's reasons. */
  private verdict(
    subject: CustomCheckSubject,
    facts: PathFacts,
    pathReasons: readonly CustomReason[],
    packageUnknown: boolean,
  ): CustomCheckResult {
    const deleted = subject.deleted === true || facts.deletedSuffix || facts.memfd;
    const notInInventory =
      this.inventory?.covers(subject.host) === true &&
      !this.inventory.contains(subject.host, facts.path, subject.sha256);
    if (!deleted && !notInInventory) {
      return pathReasons.length === 0
        ? packageUnknown
          ? NOT_CUSTOM_UNKNOWN_PACKAGE
          : NOT_CUSTOM
        : { custom: true, reasons: pathReasons, packageUnknown };
    }
    const reasons = [...pathReasons];
    if (deleted) reasons.push('deleted');
    if (notInInventory) reasons.push('not_in_inventory');
    return { custom: true, reasons, packageUnknown };
  }

  /**
   * What the path alone says, remembered per raw path (a fleet runs few distinct executables): its normal form and
   * the reasons its location gives (temporary, hidden, home directory). Bounded like the other caches.
   */
  private pathFacts(raw: string | undefined): PathFacts {
    if (raw === undefined) return NO_PATH;
    const cached = this.paths.get(raw);
    if (cached !== undefined) return cached;
    const { path: stripped, deleted: deletedSuffix } = stripDeletedSuffix(raw);
    const path = stripped.startsWith('/') ? posix.normalize(stripped) : undefined;
    const memfd = path?.startsWith(MEMFD_PREFIX) ?? false;
    const pathReasons: CustomReason[] = [];
    if (path !== undefined && !memfd) {
      if (TEMPORARY_PREFIXES.some((p) => path.startsWith(p))) pathReasons.push('temporary_directory');
      if (path.split('/').some((segment) => segment.startsWith('.') && segment !== '.' && segment !== '..')) {
        pathReasons.push('hidden_directory');
      }
      if (HOME_PREFIXES.some((p) => path.startsWith(p))) pathReasons.push('writable_directory');
    }
    const facts: PathFacts = { path, deletedSuffix, memfd, pathReasons };
    this.paths.set(raw, facts);
    return facts;
  }

  /**
   * Whether the file or any directory above it is world-writable (mode o+w, the sticky `/tmp` included): anyone on
   * the machine could have put or replaced the file. A path that does not exist here tells nothing.
   */
  private async inWritableDirectory(path: string): Promise<boolean> {
    let current = path;
    for (;;) {
      if (await this.worldWritable(current)) return true;
      const parent = posix.dirname(current);
      if (parent === current) return false;
      current = parent;
    }
  }

  private async worldWritable(path: string): Promise<boolean> {
    const cached = this.writable.get(path);
    if (cached !== undefined) return cached;
    let result = false;
    try {
      const st = await stat(path);
      result = (st.mode & 0o002) !== 0;
    } catch {
      result = false;
    }
    this.writable.set(path, result);
    return result;
  }
}

/**
 * The common shape of a host's package database as the custom-executable checker sees it.
 */

/** Answers "does an installed package own this file?". */
export interface PackageDatabase {
  /** `dpkg` or `rpm`. */
  readonly kind: string;
  /**
   * `true` when a package owns the path, `false` when none does, `undefined` when the database cannot tell (not
   * readable, bound reached, query failed).
   */
  owns(path: string): Promise<boolean | undefined>;
}

/**
 * `@egressguard/novelty-filter`: is this process identity new, rare, known or allowlisted, and is its executable
 * custom? The stage also exports its parts for use alone: the identity normaliser, the baseline, the
 * custom-executable checker with its package databases and inventory, and the allowlist.
 */
export { noveltyFilterFactory } from './factory.ts';
export { noveltyFilterConfig, noveltyFilterConfigSchema } from './config.ts';
export type { NoveltyFilterConfig } from './config.ts';
export { NoveltyFilterProcessor } from './processor.ts';

export {
  HASH_PLACEHOLDER,
  IDENTITY_PARTS,
  IdentityBuilder,
  VERSION_PLACEHOLDER,
  normaliseExecutableName,
  normaliseExecutablePath,
  normaliseSegment,
  stripDeletedSuffix,
  userClass,
} from './internal/identity.ts';
export type {
  IdentityInput,
  IdentityOptions,
  IdentityPart,
  IdentityScope,
  UserClass,
} from './internal/identity.ts';
export { Baseline } from './internal/baseline.ts';
export type {
  BaselineOptions,
  BaselineSnapshot,
  BaselineSnapshotEntry,
  BaselineStatus,
  Sighting,
} from './internal/baseline.ts';
export { CUSTOM_REASONS, CustomExecutableChecker } from './internal/custom-checker.ts';
export type {
  CustomCheckResult,
  CustomCheckSubject,
  CustomCheckerOptions,
  CustomReason,
} from './internal/custom-checker.ts';
export type { PackageDatabase } from './internal/package-database.ts';
export { DpkgDatabase } from './internal/dpkg-database.ts';
export type { DpkgDatabaseOptions } from './internal/dpkg-database.ts';
export { RpmDatabase } from './internal/rpm-database.ts';
export type { RpmDatabaseOptions } from './internal/rpm-database.ts';
export { Inventory } from './internal/inventory.ts';
export { Allowlist } from './internal/allowlist.ts';
export type {
  AllowlistMatch,
  AllowlistMatchKind,
  AllowlistOptions,
  AllowlistSubject,
} from './internal/allowlist.ts';
export { BUILTIN_ALLOWLIST, EXCLUDED_SOFTWARE } from './internal/builtin-allowlist.ts';
export type {
  AllowlistCategory,
  AllowlistEntry,
  BuiltinAllowlistEntry,
} from './internal/builtin-allowlist.ts';
export { canonicalUsrPath } from './internal/usr-merge.ts';

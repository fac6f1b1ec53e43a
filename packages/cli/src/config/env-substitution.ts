/**
 * `${env:NAME}` substitution, as the OpenTelemetry Collector's configuration does it, applied to the raw file text
 * before it is parsed: `${env:NAME}` is the variable's value, `${env:NAME:-default}` falls back to `default` when the
 * variable is unset or empty, and `$$` is a literal `$` (so `$${env:NAME}` stays as written).
 */

/** A variable the text references that is not set and has no default. */
export interface MissingVariable {
  readonly name: string;
  /** 1-based line of the reference. */
  readonly line: number;
}

/** The result of {@link substituteEnv}. */
export interface Substitution {
  readonly text: string;
  readonly missing: readonly MissingVariable[];
}

// `$$` first so that an escaped reference is never expanded; the variable name follows POSIX (letters, digits, `_`).
const REFERENCE = /\$\$|\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{([^}]*)\}/g;

/** Error raised for a `${…}` that is not a well-formed `${env:NAME}` reference. */
export interface MalformedReference {
  readonly reference: string;
  readonly line: number;
}

/** Substitutes every reference; unset variables without a default are listed in `missing` (and left empty). */
export function substituteEnv(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
): Substitution & { readonly malformed: readonly MalformedReference[] } {
  const missing: MissingVariable[] = [];
  const malformed: MalformedReference[] = [];
  const out = text.replace(
    REFERENCE,
    (
      match,
      name: string | undefined,
      fallback: string | undefined,
      other: string | undefined,
      offset: number,
    ) => {
      if (match === '$$') return '$';
      const line = lineAt(text, offset);
      if (other !== undefined) {
        malformed.push({ reference: match, line });
        return match;
      }
      const value = env[name!];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      if (value === '') return '';
      missing.push({ name: name!, line });
      return '';
    },
  );
  return { text: out, missing, malformed };
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Zeek's ASCII (TSV) log writer format: a header of `#` directives, then one row per line. From Zeek's
 * `base/frameworks/logging/writers/ascii.zeek` and the writer itself: `#separator` is written with a space and a
 * `\xHH` escape (`#separator \x09`); the other directives use the separator; `#unset_field` (default `-`) marks a
 * value that was never set and `#empty_field` (default `(empty)`) an empty string or set; bytes that would be
 * ambiguous (the separator, non-printable characters) are escaped as `\xHH`.
 */

/** One row of a Zeek TSV log: its `#path` and its values by field name (`undefined` = unset). */
export interface ZeekTsvRow {
  readonly path: string | undefined;
  readonly values: Record<string, string | undefined>;
}

/** What one line was: a header directive or comment, a row, or an error. */
export type ZeekTsvLine =
  | { readonly kind: 'header' }
  | { readonly kind: 'row'; readonly row: ZeekTsvRow }
  | { readonly kind: 'error'; readonly reason: string };

const ESCAPE = /\\x([0-9a-fA-F]{2})/g;

/** Decodes Zeek's `\xHH` escapes (bytes, so multi-byte UTF-8 sequences come back whole). */
export function unescapeZeek(text: string): string {
  if (!text.includes('\\x')) return text;
  const bytes: number[] = [];
  let last = 0;
  for (const m of text.matchAll(ESCAPE)) {
    for (const b of Buffer.from(text.slice(last, m.index), 'utf8')) bytes.push(b);
    bytes.push(parseInt(m[1] ?? '0', 16));
    last = m.index + m[0].length;
  }
  for (const b of Buffer.from(text.slice(last), 'utf8')) bytes.push(b);
  return Buffer.from(bytes).toString('utf8');
}

/** Reads the lines of one or more concatenated Zeek TSV logs; each header block replaces the previous one. */
export class ZeekTsvReader {
  #separator = '\t';
  #setSeparator = ',';
  #emptyField = '(empty)';
  #unsetField = '-';
  #path: string | undefined;
  #fields: string[] | undefined;

  /** The `#path` of the current header block, if any. */
  get path(): string | undefined {
    return this.#path;
  }

  /** The set separator of the current header (values of `set[...]`/`vector[...]` fields are split on it). */
  get setSeparator(): string {
    return this.#setSeparator;
  }

  /** Reads one line (which does not start a JSON object). */
  read(line: string): ZeekTsvLine {
    if (line.startsWith('#')) return this.#directive(line);
    if (!this.#fields) return { kind: 'error', reason: 'data row before any #fields header' };
    const parts = line.split(this.#separator);
    if (parts.length !== this.#fields.length) {
      return {
        kind: 'error',
        reason: `row has ${parts.length} fields, the #fields header names ${this.#fields.length}`,
      };
    }
    const values: Record<string, string | undefined> = {};
    for (let i = 0; i < parts.length; i++) {
      const raw = parts[i] ?? '';
      const name = this.#fields[i] ?? '';
      values[name] = raw === this.#unsetField ? undefined : raw === this.#emptyField ? '' : unescapeZeek(raw);
    }
    return { kind: 'row', row: { path: this.#path, values } };
  }

  #directive(line: string): ZeekTsvLine {
    if (line.startsWith('#separator ')) {
      const value = unescapeZeek(line.slice('#separator '.length));
      if (value === '') return { kind: 'error', reason: '#separator: empty value' };
      this.#separator = value;
      // A new header block starts: forget the previous log's fields until this one's #fields arrives.
      this.#fields = undefined;
      this.#path = undefined;
      return { kind: 'header' };
    }
    const cut = line.indexOf(this.#separator);
    const name = cut === -1 ? line : line.slice(0, cut);
    const rest = cut === -1 ? '' : line.slice(cut + this.#separator.length);
    switch (name) {
      case '#set_separator':
        this.#setSeparator = unescapeZeek(rest);
        break;
      case '#empty_field':
        this.#emptyField = unescapeZeek(rest);
        break;
      case '#unset_field':
        this.#unsetField = unescapeZeek(rest);
        break;
      case '#path':
        this.#path = rest;
        break;
      case '#fields':
        if (rest === '') return { kind: 'error', reason: '#fields: no field names' };
        this.#fields = rest.split(this.#separator);
        break;
      default:
        // #types, #open, #close and comment lines carry nothing the parser needs.
        break;
    }
    return { kind: 'header' };
  }
}

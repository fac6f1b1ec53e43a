/**
 * The text of one auditd record: `[node=<host> ]type=<TYPE> msg=audit(<sec>.<ms>:<serial>): key=value …` and, in
 * the ENRICHED log format, a 0x1D (group separator) followed by `KEY=value` pairs that auditd resolved (user names,
 * syscall name, arch name).
 *
 * How auditd writes values (audit_log_untrustedstring in the kernel, auparse in userspace): a string that contains a
 * space, a double quote, a control character or a byte above 0x7e is written as unquoted uppercase hex; other strings
 * are written in double quotes; numbers and keywords are bare.
 */

/** One parsed record line. */
export interface AuditRecordLine {
  readonly node: string | undefined;
  readonly type: string;
  /** Seconds since the epoch, as written. */
  readonly seconds: string;
  /** The fraction after the dot, as written (milliseconds in practice). */
  readonly fraction: string;
  readonly serial: number;
  /** Fields before the 0x1D separator. */
  readonly fields: ReadonlyMap<string, AuditValue>;
  /** `KEY=value` pairs after the 0x1D separator (ENRICHED format); empty in RAW format. */
  readonly enriched: ReadonlyMap<string, string>;
}

/** A field value and whether it was quoted (a bare value may be hex-encoded). */
export interface AuditValue {
  readonly text: string;
  readonly quoted: boolean;
}

const HEADER = /^(?:node=(\S+) )?type=(\S+) msg=audit\((\d+)\.(\d+):(\d+)\):?/;

/** What a line is when it is not a record with a timestamp. */
export type AuditLineProblem =
  { readonly kind: 'no_timestamp'; readonly type: string } | { readonly kind: 'not_audit' };

/** Parses one line; a record without an audit timestamp (`type=UNKNOWN[1329] msg=?`) is reported as such. */
export function parseAuditLine(line: string): AuditRecordLine | AuditLineProblem {
  const m = HEADER.exec(line);
  if (!m) {
    const t = /^(?:node=\S+ )?type=(\S+)/.exec(line);
    return t ? { kind: 'no_timestamp', type: t[1] } : { kind: 'not_audit' };
  }
  const rest = line.slice(m[0].length);
  const sep = rest.indexOf('\x1d');
  const main = sep === -1 ? rest : rest.slice(0, sep);
  const enriched = new Map<string, string>();
  if (sep !== -1) for (const [k, v] of parseFields(rest.slice(sep + 1))) enriched.set(k, v.text);
  return {
    node: m[1],
    type: m[2],
    seconds: m[3],
    fraction: m[4],
    serial: Number(m[5]),
    fields: parseFields(main),
    enriched,
  };
}

/**
 * Splits `key=value key="quoted value" key='single quoted'` into fields. Tokens without `=` (the free text of
 * daemon records) are skipped; a later duplicate key does not replace the first.
 */
export function parseFields(text: string): Map<string, AuditValue> {
  const out = new Map<string, AuditValue>();
  const n = text.length;
  let i = 0;
  while (i < n) {
    while (i < n && text.charCodeAt(i) === 32) i++;
    const keyStart = i;
    while (i < n && text[i] !== '=' && text.charCodeAt(i) !== 32) i++;
    if (i >= n || text[i] !== '=') {
      while (i < n && text.charCodeAt(i) !== 32) i++;
      continue;
    }
    const key = text.slice(keyStart, i);
    i++;
    let value: AuditValue;
    const q = text[i];
    if (q === '"' || q === "'") {
      const end = text.indexOf(q, i + 1);
      const stop = end === -1 ? n : end;
      value = { text: text.slice(i + 1, stop), quoted: true };
      i = stop + 1;
    } else if (q === '{') {
      // ENRICHED SADDR={ saddr_fam=inet laddr=… }: a braced group.
      const end = text.indexOf('}', i);
      const stop = end === -1 ? n : end + 1;
      value = { text: text.slice(i, stop), quoted: true };
      i = stop;
    } else {
      const start = i;
      while (i < n && text.charCodeAt(i) !== 32) i++;
      value = { text: text.slice(start, i), quoted: false };
    }
    if (key !== '' && !out.has(key)) out.set(key, value);
  }
  return out;
}

const HEX = /^(?:[0-9A-Fa-f]{2})+$/;

/** Hex text to bytes; `undefined` when it is not hex. */
export function hexToBytes(hex: string): Uint8Array | undefined {
  if (!HEX.test(hex)) return undefined;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/**
 * An untrusted-string field (exe, comm, cwd, aN): the quoted text, or the bare value hex-decoded; `(null)` and `?`
 * mean absent. A bare value that is not hex is returned as written.
 */
export function untrustedString(value: AuditValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.quoted) return value.text;
  if (value.text === '(null)' || value.text === '?' || value.text === '') return undefined;
  const bytes = hexToBytes(value.text);
  return bytes ? Buffer.from(bytes).toString('utf8') : value.text;
}

/**
 * The PROCTITLE value: the process's argv as the kernel holds it (at most 128 bytes), hex-encoded with NUL between
 * arguments whenever it has more than one; arguments are joined with spaces.
 */
export function proctitleString(value: AuditValue | undefined): string | undefined {
  const raw = untrustedString(value);
  if (raw === undefined) return undefined;
  // Trailing NULs trimmed by a loop: `/\0+$/` retries from every NUL of a run that does not end the value.
  let end = raw.length;
  while (end > 0 && raw.charCodeAt(end - 1) === 0) end--;
  const joined = raw.slice(0, end).split('\0').join(' ');
  return joined === '' ? undefined : joined;
}

/**
 * Reads a dotted field name from a JSON document that may nest it (`{"source":{"ip":…}}`, as Auditbeat writes ECS),
 * flatten it (`{"id.orig_h":…}`, as Zeek's JSON writer does), or mix both.
 */

/** The value at `path` (`a.b.c`), trying every split of the path into nested and dotted keys; undefined if absent. */
export function pathValue(doc: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(doc, path)) return doc[path];
  let dot = path.indexOf('.');
  while (dot !== -1) {
    const head = path.slice(0, dot);
    const child = doc[head];
    if (child !== null && typeof child === 'object' && !Array.isArray(child)) {
      const found = pathValue(child as Record<string, unknown>, path.slice(dot + 1));
      if (found !== undefined) return found;
    }
    dot = path.indexOf('.', dot + 1);
  }
  return undefined;
}

/** A non-empty string at `path`. */
export function pathString(doc: Readonly<Record<string, unknown>>, path: string): string | undefined {
  const v = pathValue(doc, path);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A non-negative safe integer at `path`, from a JSON number or a decimal string (ECS writes `user.id` as text). */
export function pathCount(doc: Readonly<Record<string, unknown>>, path: string): number | undefined {
  const v = pathValue(doc, path);
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  if (typeof v === 'string' && /^\d+$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

/** A finite number at `path`, from a JSON number or a decimal string. */
export function pathNumber(doc: Readonly<Record<string, unknown>>, path: string): number | undefined {
  const v = pathValue(doc, path);
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  // One way to match each digit: `\d+\.?\d*` could split a run of digits anywhere, quadratic on a long non-number.
  if (typeof v === 'string' && /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(v)) return Number(v);
  return undefined;
}

/** A boolean at `path` (JSON boolean, or Zeek TSV's `T`/`F`, or `true`/`false`). */
export function pathBool(doc: Readonly<Record<string, unknown>>, path: string): boolean | undefined {
  const v = pathValue(doc, path);
  if (typeof v === 'boolean') return v;
  if (v === 'T' || v === 'true') return true;
  if (v === 'F' || v === 'false') return false;
  return undefined;
}

/** Parses a line as one JSON object; undefined when it is not one. */
export function parseJsonObject(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

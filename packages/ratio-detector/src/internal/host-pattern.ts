/**
 * Host-name glob patterns of the asset inventory: `*` (any run of characters), `?` (one character) and `[…]`
 * classes (`[a-z]`, `[!0-9]`), matched against the whole name, case-insensitively because DNS names are.
 */

/** Compiles a host pattern; throws with the reason on an unclosed class. */
export function compileHostPattern(pattern: string): RegExp {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) throw new Error(`unclosed "[" at position ${i} in host pattern "${pattern}"`);
      let body = pattern.slice(i + 1, close);
      const negated = body.startsWith('!');
      if (negated) body = body.slice(1);
      out += `[${negated ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`${out}$`, 'i');
}

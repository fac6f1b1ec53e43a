/**
 * Path globs for allowlist and inventory entries, compiled to anchored regular expressions: `*` matches within one
 * path segment, `**` across segments (`/**\/` also matches a single `/`), `?` one character of a segment, and
 * `{a,b}` alternatives (not nested). Everything else is literal.
 */

/** Whether the string holds glob syntax (otherwise it is matched as an exact path). */
export function isGlob(pattern: string): boolean {
  return /[*?{]/.test(pattern);
}

/** Compiles a glob; throws naming the pattern when its braces do not balance. */
export function globToRegExp(pattern: string): RegExp {
  let out = '^';
  let inBraces = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          out += '(?:.*/)?';
        } else {
          out += '.*';
        }
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '{') {
      if (inBraces) throw new Error(`glob ${JSON.stringify(pattern)}: nested braces are not supported`);
      inBraces = true;
      out += '(?:';
    } else if (c === '}') {
      if (!inBraces) throw new Error(`glob ${JSON.stringify(pattern)}: unbalanced "}"`);
      inBraces = false;
      out += ')';
    } else if (c === ',' && inBraces) {
      out += '|';
    } else {
      out += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
    }
  }
  if (inBraces) throw new Error(`glob ${JSON.stringify(pattern)}: unbalanced "{"`);
  return new RegExp(`${out}$`);
}

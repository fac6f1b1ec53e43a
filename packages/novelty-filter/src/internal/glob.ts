/**
 * Path globs for allowlist and inventory entries, matched by picomatch: `*` matches within one path segment (dot
 * files included), `**` across segments (`/**\/` also matches a single `/`), `?` one character of a segment, and
 * `{a,b}` alternatives. Brackets, extglobs and `!` negation are off, so `[`, `(`, `+`, `@` and `!` are literal, and
 * matching is case-sensitive, as Linux paths are.
 */
import picomatch from 'picomatch';

const OPTIONS: picomatch.PicomatchOptions = Object.freeze({
  dot: true,
  nobracket: true,
  noextglob: true,
  nonegate: true,
  noquantifiers: true,
  posix: true,
});

/** Whether the string holds glob syntax (otherwise it is matched as an exact path). */
export function isGlob(pattern: string): boolean {
  return /[*?{]/.test(pattern);
}

/** Compiles a glob to an anchored expression; throws naming the pattern when its braces do not balance. */
export function globToRegExp(pattern: string): RegExp {
  let depth = 0;
  for (const c of pattern) {
    if (c === '{') depth++;
    else if (c === '}' && --depth < 0) throw new Error(`glob ${JSON.stringify(pattern)}: unbalanced "}"`);
  }
  if (depth > 0) throw new Error(`glob ${JSON.stringify(pattern)}: unbalanced "{"`);
  // picomatch reads parentheses, `|` and backslashes as syntax even with extglobs off: escaped, they are literal.
  return picomatch.makeRe(pattern.replace(/[\\()|[\]!+@$^]/g, '\\$&'), OPTIONS);
}

/**
 * Host-name glob patterns of the asset inventory, matched by picomatch: `*` (any run of characters), `?` (one
 * character) and `[…]` classes (`[a-z]`, `[!0-9]`), against the whole name, case-insensitively because DNS names
 * are. Braces, extglobs and a leading `!` are literal.
 */
import picomatch from 'picomatch';

const OPTIONS: picomatch.PicomatchOptions = Object.freeze({
  dot: true,
  nocase: true,
  nobrace: true,
  noextglob: true,
  nonegate: true,
  noquantifiers: true,
  posix: true,
});

/** Compiles a host pattern; throws with the reason on an unclosed class. */
export function compileHostPattern(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '[') {
      // A class holds at least one character, so `[]…]` starts with a literal `]`.
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) throw new Error(`unclosed "[" at position ${i} in host pattern "${pattern}"`);
      source += pattern.slice(i, close + 1);
      i = close;
    } else {
      // picomatch reads parentheses, `|`, `{}`, `+`, `@` and backslashes as syntax: escaped, they are literal.
      source += /[\\()|{}!+@$^\]]/.test(c) ? `\\${c}` : c;
    }
  }
  return picomatch.makeRe(source, OPTIONS);
}

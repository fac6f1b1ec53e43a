/**
 * Frames JSON objects that span several lines (pretty-printed exports such as `tetra getevents -o json | jq .`) so
 * that a line-oriented reader hands each parser one complete object. A line that does not start an object passes
 * through as it is; an object is complete when its braces balance outside strings. Objects are bounded in size.
 */

/** One unit of input: a line, or the lines of one JSON object joined, with the line number it started on. */
export interface FramedInput {
  readonly text: string;
  readonly line: number;
}

/** Splits lines into framed inputs. */
export class JsonFramer {
  private readonly maxBytes: number;
  private parts: string[] = [];
  private bytes = 0;
  private startLine = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** True while an object is open across lines. */
  get open(): boolean {
    return this.parts.length > 0;
  }

  /** Feeds one line; returns the inputs it completed, or an error for an object past the size bound. */
  push(line: string, lineNo: number): (FramedInput | { readonly error: string; readonly line: number })[] {
    const out: (FramedInput | { readonly error: string; readonly line: number })[] = [];
    if (this.open && line.startsWith('{')) {
      // Pretty-printers indent everything inside an object, so an unindented `{` starts a new object: the open one
      // was cut short (a truncated line). Report it rather than swallow the objects that follow.
      out.push({
        error: 'JSON object cut short: a new object starts before it closes',
        line: this.startLine,
      });
      this.reset();
    }
    if (!this.open) {
      const trimmed = line.trimStart();
      if (!trimmed.startsWith('{')) return [...out, { text: line, line: lineNo }];
      this.startLine = lineNo;
    }
    let from = 0;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 92) this.escaped = true;
        else if (c === 34) this.inString = false;
        continue;
      }
      if (c === 34) this.inString = true;
      else if (c === 123 || c === 91) this.depth++;
      else if (c === 125 || c === 93) {
        this.depth--;
        if (this.depth === 0) {
          // `}{` on one line: the first object ends here, the next starts after it.
          this.parts.push(line.slice(from, i + 1));
          out.push({ text: this.parts.join('\n'), line: this.startLine });
          this.reset();
          from = i + 1;
          const rest = line.slice(from);
          if (rest.trim() === '') return out;
          if (!rest.trimStart().startsWith('{')) {
            out.push({ text: rest, line: lineNo });
            return out;
          }
          this.startLine = lineNo;
        }
      }
    }
    const tail = line.slice(from);
    this.parts.push(tail);
    this.bytes += tail.length + 1;
    if (this.bytes > this.maxBytes) {
      out.push({
        error: `JSON object starting on this line exceeds ${this.maxBytes} bytes`,
        line: this.startLine,
      });
      this.reset();
    }
    return out;
  }

  /** End of input: an object still open is an error. */
  end(): { readonly error: string; readonly line: number } | undefined {
    if (!this.open) return undefined;
    const line = this.startLine;
    this.reset();
    return { error: 'input ended inside a JSON object (unbalanced braces)', line };
  }

  private reset(): void {
    this.parts = [];
    this.bytes = 0;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
  }
}

/**
 * Frames JSON objects that span several lines (pretty-printed exports such as `tetra getevents -o json | jq .`) so
 * that a line-oriented reader hands each parser one complete object. A line that does not start an object passes
 * through as it is; an object is complete when its braces balance outside strings. Objects are bounded in size, and
 * the objects of one line (`{…}{…}` written without newlines) in number; the objects of a line are handed out one by
 * one, so that a line of many small objects never becomes an array of them all.
 */

/** One unit of input: a line, or the lines of one JSON object joined, with the line number it started on. */
export interface FramedInput {
  readonly text: string;
  readonly line: number;
}

/** Input the framer could not frame, with the counter it is counted under. */
export interface FramingError {
  readonly error: string;
  readonly line: number;
  /** The bound that bit (`object_too_large`, `too_many_objects`); unset for a truncated object (malformed input). */
  readonly counter?: string;
}

/** Splits lines into framed inputs. */
export class JsonFramer {
  private readonly maxBytes: number;
  private readonly maxObjectsPerLine: number;
  private parts: string[] = [];
  private bytes = 0;
  private startLine = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  /**
   * @param maxBytes - largest object, in characters, across lines.
   * @param maxObjectsPerLine - objects one line may complete; the rest of such a line is skipped and reported.
   */
  constructor(maxBytes: number, maxObjectsPerLine = Number.POSITIVE_INFINITY) {
    this.maxBytes = maxBytes;
    this.maxObjectsPerLine = maxObjectsPerLine;
  }

  /** True while an object is open across lines. */
  get open(): boolean {
    return this.parts.length > 0;
  }

  /** Feeds one line; yields the inputs it completes, one at a time, and errors for what it cannot frame. */
  *push(line: string, lineNo: number): Generator<FramedInput | FramingError> {
    if (this.open && cutsShort(line)) {
      // Pretty-printers indent everything inside an object but its closing brace, so an unindented line that is not
      // a closer (a new `{`, or a line of another format) means the open object was cut short (a truncated line).
      // Report it rather than swallow what follows.
      yield {
        error: 'JSON object cut short: a new object starts before it closes',
        line: this.startLine,
      };
      this.reset();
    }
    if (!this.open) {
      const trimmed = line.trimStart();
      if (!trimmed.startsWith('{')) {
        yield { text: line, line: lineNo };
        return;
      }
      this.startLine = lineNo;
    }
    let from = 0;
    let completed = 0;
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
          const text = this.parts.length === 1 ? this.parts[0] : this.parts.join('\n');
          const startLine = this.startLine;
          this.reset();
          yield { text, line: startLine };
          completed++;
          from = i + 1;
          let next = from;
          while (next < line.length && isSpace(line.charCodeAt(next))) next++;
          if (next === line.length) return;
          if (line.charCodeAt(next) !== 123) {
            yield { text: line.slice(from), line: lineNo };
            return;
          }
          if (completed >= this.maxObjectsPerLine) {
            yield {
              error: `line holds more than ${this.maxObjectsPerLine} JSON objects; the rest of it is skipped`,
              line: lineNo,
              counter: 'too_many_objects',
            };
            return;
          }
          this.startLine = lineNo;
        }
      }
    }
    const tail = line.slice(from);
    this.parts.push(tail);
    this.bytes += tail.length + 1;
    if (this.bytes > this.maxBytes) {
      yield {
        error: `JSON object starting on this line exceeds ${this.maxBytes} bytes`,
        line: this.startLine,
        counter: 'object_too_large',
      };
      this.reset();
    }
  }

  /** End of input: an object still open is an error. */
  end(): FramingError | undefined {
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

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

/** An unindented line that does not close a bracket: it cannot be inside a pretty-printed object. */
function cutsShort(line: string): boolean {
  if (line === '') return false;
  const c = line.charCodeAt(0);
  return !isSpace(c) && c !== 125 && c !== 93 && c !== 44;
}

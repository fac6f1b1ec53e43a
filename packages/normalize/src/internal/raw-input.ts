/** What the `normalize` processor reads from an incoming raw record: its body as parser input, its stream. */
import type { RecordResource } from '@egressguard/schema';

/** The key of an incoming stream: its resource's attributes. */
export function streamKey(resource: RecordResource): string {
  return JSON.stringify(resource.attributes);
}

/** The parser input of a record body: a line of text, or a map (an OTLP kvlist decoded to a plain object). */
export function inputOf(body: unknown): string | Readonly<Record<string, unknown>> | undefined {
  if (typeof body === 'string') return body;
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && !(body instanceof Uint8Array)) {
    return body as Readonly<Record<string, unknown>>;
  }
  return undefined;
}

/** Whether `text` is longer than `maxBytes` in UTF-8, without encoding it when its length alone decides. */
export function tooLong(text: string, maxBytes: number): boolean {
  // A UTF-16 code unit takes 1 to 3 bytes in UTF-8.
  if (text.length > maxBytes) return true;
  if (text.length * 3 <= maxBytes) return false;
  return Buffer.byteLength(text, 'utf8') > maxBytes;
}

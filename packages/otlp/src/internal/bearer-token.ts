/**
 * The bearer-token check both OTLP receivers (HTTP and gRPC) make: the expected `Bearer <token>` is kept as a digest
 * and compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Checks `Authorization` values against one configured bearer token. */
export class BearerTokenCheck {
  readonly #digest: Buffer;

  /** Throws when the token is empty: an empty token would admit `Authorization: Bearer `. */
  constructor(token: string, owner: string) {
    if (token === '') throw new RangeError(`${owner}: bearerToken must not be empty`);
    this.#digest = digest(`Bearer ${token}`);
  }

  /** Whether an `Authorization` value carries the token. */
  accepts(header: string | undefined): boolean {
    if (header === undefined) return false;
    // Digests have equal length, so the comparison takes the same time whatever the header.
    return timingSafeEqual(digest(header.trim()), this.#digest);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

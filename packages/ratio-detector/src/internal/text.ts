/** Number formatting for detection sentences: exact where a person compares against a threshold. */

/** Bytes, to the byte below 10 KiB, else in KiB or MiB with one decimal. */
export function bytes(n: number): string {
  if (n < 10_240) return `${Math.round(n)} B`;
  if (n < 10_485_760) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1_048_576).toFixed(1)} MiB`;
}

/** A plain number with at most `digits` decimals, no trailing zeros. */
export function num(n: number, digits = 2): string {
  return String(Math.round(n * 10 ** digits) / 10 ** digits);
}

/** A duration in seconds below two minutes, else minutes. */
export function duration(ms: number): string {
  return ms < 120_000 ? `${num(ms / 1000, 1)} s` : `${num(ms / 60_000, 1)} min`;
}

/** The process, its novelty and its host, as every detection sentence begins. */
export function subject(input: {
  readonly process: string;
  readonly qualification: { readonly status: string | undefined; readonly custom: boolean };
  readonly customReasons: readonly string[];
  readonly facts: { readonly host: string };
  readonly role: { readonly name: string };
}): string {
  const novelty: string[] = [];
  if (input.qualification.status !== undefined) novelty.push(input.qualification.status);
  if (input.qualification.custom) {
    novelty.push(input.customReasons.length > 0 ? `custom: ${input.customReasons.join(', ')}` : 'custom');
  }
  const tag = novelty.length > 0 ? ` (${novelty.join(', ')})` : '';
  return `${input.process}${tag} on ${input.facts.host || 'an unnamed host'} (role ${input.role.name})`;
}

/** "N external HTTP connections" / "N HTTP connections" for the counted scope. */
export function connectionsPhrase(count: number, scope: 'external' | 'all'): string {
  return `${count} ${scope === 'external' ? 'external ' : ''}HTTP connection${count === 1 ? '' : 's'}`;
}

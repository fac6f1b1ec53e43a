/**
 * Marker lines that carry the wall time at a point of a text capture, `<marker> <unix_ms>` (the ss poll marker,
 * the tcplife clock marker): sensors whose lines carry no date are dated by them.
 */

/** The Unix ms after `marker` on a line that starts with it; undefined when that is not a positive integer. */
export function markerUnixMs(line: string, marker: string): number | undefined {
  const ms = Number(line.slice(marker.length).trim());
  return Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
}

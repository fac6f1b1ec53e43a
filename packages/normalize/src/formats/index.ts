/**
 * Every sensor format the package reads, by name: the `replay --format` values and the normalize processor's
 * `format` option. Recognition (`auto`) asks each format in this order, most specific first, and takes the first
 * that says yes.
 */
import type { SensorFormat } from '../format.ts';
import { auditbeatFormat } from './auditbeat.ts';
import { auditdFormat } from './auditd.ts';
import { falcoFormat } from './falco.ts';
import { ssFormat } from './ss.ts';
import { sysmonFormat } from './sysmon.ts';
import { tcplifeFormat } from './tcplife.ts';
import { tetragonFormat } from './tetragon.ts';
import { zeekFormat } from './zeek.ts';

/** All formats, in recognition order. */
export const SENSOR_FORMAT_LIST: readonly SensorFormat[] = [
  auditdFormat,
  sysmonFormat,
  falcoFormat,
  tetragonFormat,
  auditbeatFormat,
  zeekFormat,
  tcplifeFormat,
  ssFormat,
];

/** All formats by name. */
export const SENSOR_FORMATS: Readonly<Record<string, SensorFormat>> = Object.freeze(
  Object.fromEntries(SENSOR_FORMAT_LIST.map((f) => [f.name, f])),
);

/** The names of all formats, in recognition order. */
export const SENSOR_FORMAT_NAMES: readonly string[] = SENSOR_FORMAT_LIST.map((f) => f.name);

/** The format of a name; throws naming the known formats when there is none. */
export function getFormat(name: string): SensorFormat {
  const format = SENSOR_FORMATS[name];
  if (!format)
    throw new Error(
      `egressguard: unknown sensor format "${name}" (known: ${SENSOR_FORMAT_NAMES.join(', ')})`,
    );
  return format;
}

/**
 * The first format (from `formats`, all by default) that recognises the input, or `undefined`. The input is one
 * line (or one framed JSON object) or an already decoded object.
 */
export function recognizeFormat(
  input: string | Readonly<Record<string, unknown>>,
  formats: readonly SensorFormat[] = SENSOR_FORMAT_LIST,
): SensorFormat | undefined {
  for (const format of formats) {
    try {
      if (format.recognize(input)) return format;
    } catch {
      // A recogniser that throws on odd input simply does not recognise it.
    }
  }
  return undefined;
}

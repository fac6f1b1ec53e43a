/**
 * OTLP/JSON requests written by hand (as a Collector sends them), so that tests do not build their input with the
 * encoder whose output they check.
 */

/** An OTLP/JSON AnyValue. */
export type JsonAnyValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { bytesValue: string }
  | { arrayValue: { values: JsonAnyValue[] } }
  | { kvlistValue: { values: { key: string; value: JsonAnyValue }[] } };

/** `{key, value}` pairs from a plain object: strings, integers (as intValue strings), doubles, booleans. */
export function kv(attrs: Record<string, string | number | boolean>): { key: string; value: JsonAnyValue }[] {
  return Object.entries(attrs).map(([key, v]) => ({
    key,
    value:
      typeof v === 'string'
        ? { stringValue: v }
        : typeof v === 'boolean'
          ? { boolValue: v }
          : Number.isInteger(v)
            ? { intValue: String(v) }
            : { doubleValue: v },
  }));
}

/** Nanoseconds since the epoch as the decimal string OTLP/JSON carries. */
export function nanos(ms: number): string {
  return `${BigInt(ms) * 1_000_000n}`;
}

/** One OTLP/JSON ExportLogsServiceRequest with `n` connection records of one host, numbered by `test.seq`. */
export function connectionRequest(host: string, firstSeq: number, n: number, baseMs: number): string {
  const logRecords = [];
  for (let i = 0; i < n; i++) {
    const seq = firstSeq + i;
    const t = nanos(baseMs + seq * 1000);
    logRecords.push({
      timeUnixNano: t,
      observedTimeUnixNano: t,
      eventName: 'egressguard.connection',
      attributes: kv({
        'test.seq': seq,
        'process.pid': 4242,
        'process.executable.path': '/tmp/.x/kworkerd',
        'network.transport': 'tcp',
        'destination.address': '203.0.113.7',
        'destination.port': 80,
        'egressguard.connection.bytes_sent': 900,
        'egressguard.connection.bytes_received': 40,
        'egressguard.connection.outcome': 'completed',
        'egressguard.source.format': 'test',
      }),
    });
  }
  return JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: kv({ 'host.name': host }) },
        scopeLogs: [{ scope: { name: 'egressguard.test', version: '1' }, logRecords }],
      },
    ],
  });
}

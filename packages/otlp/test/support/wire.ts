/**
 * Hand-built OTLP/protobuf requests for the decoder's error paths, written with protobufjs's Writer.
 */
import protobuf from 'protobufjs/minimal.js';

type Writer = protobuf.Writer;

/** Writes a length-delimited field whose content `build` writes. */
export function message(writer: Writer, field: number, build: (w: Writer) => void): Writer {
  writer.uint32((field << 3) | 2).fork();
  build(writer);
  return writer.ldelim();
}

/** A KeyValue with a string value. */
export function stringAttribute(w: Writer, field: number, key: string, value: string): void {
  message(w, field, (kv) => {
    kv.uint32((1 << 3) | 2).string(key);
    message(kv, 2, (av) => av.uint32((1 << 3) | 2).string(value));
  });
}

/**
 * A request of one resource (host.name = `host`) and one scope holding the given log records, each written by
 * its builder.
 */
export function request(
  host: string,
  records: ((w: Writer) => void)[],
  extra?: (scopeLogs: Writer) => void,
): Uint8Array {
  const w = protobuf.Writer.create();
  message(w, 1, (rl) => {
    message(rl, 1, (res) => stringAttribute(res, 1, 'host.name', host));
    message(rl, 2, (sl) => {
      message(sl, 1, (scope) => scope.uint32((1 << 3) | 2).string('hand.built'));
      for (const build of records) message(sl, 2, build);
      extra?.(sl);
    });
  });
  return w.finish();
}

/** A valid log record with an event name and one attribute. */
export function goodRecord(event: string): (w: Writer) => void {
  return (w) => {
    w.uint32((12 << 3) | 2).string(event);
    stringAttribute(w, 6, 'k', 'v');
  };
}

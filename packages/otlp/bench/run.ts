/**
 * Codec throughput, 1,000-record requests of connection records (16 attributes each, two hosts, three scopes).
 *
 * Baseline, measured in the same run on the same bytes: protobufjs reflection decoding (`Type.decode` over the
 * same descriptor) plus conversion of the message objects into records, i.e. what the fast decoder replaces.
 *
 *   npm run bench -w @egressguard/otlp
 */
import { performance } from 'node:perf_hooks';
import {
  ConnectionAttr,
  EventName,
  NetworkAttr,
  PipelineRecord,
  ProcessAttr,
  ResourceAttr,
  createResource,
  type RecordScope,
} from '@egressguard/schema';
import protobuf from 'protobufjs';

import { decodeLogsJson, decodeLogsProto, encodeLogsJson, encodeLogsProto } from '../src/index.ts';
import { OTLP_LOGS_DESCRIPTOR } from '../src/internal/otlp-logs-descriptor.ts';
import { decodeLogsProtoReflection } from '../src/internal/reflection-decoder.ts';

const RECORDS_PER_REQUEST = 1000;
const MEASURE_MS = Number(process.env['BENCH_MS'] ?? 1500);

function request(): PipelineRecord[] {
  const hosts = [
    createResource(
      { [ResourceAttr.HOST_NAME]: 'web-01', 'host.id': 'a1' },
      'https://opentelemetry.io/schemas/1.30.0',
    ),
    createResource({ [ResourceAttr.HOST_NAME]: 'db-02' }),
  ];
  const scopes: RecordScope[] = [
    { name: 'egressguard.sensor.bpftrace', version: '0.3.1', attributes: { 'sensor.kind': 'ebpf' } },
    { name: 'egressguard.sensor.auditd', version: '1' },
    { name: 'egressguard.normalize', version: '0.1.0' },
  ];
  const out: PipelineRecord[] = [];
  for (let i = 0; i < RECORDS_PER_REQUEST; i++) {
    const start = 1_764_460_800_000 + i * 37;
    out.push(
      new PipelineRecord({
        hrTime: [Math.floor(start / 1000), (start % 1000) * 1e6 + i],
        hrTimeObserved: [Math.floor(start / 1000), (start % 1000) * 1e6 + 500 + i],
        eventName: EventName.CONNECTION,
        severityNumber: 9,
        attributes: {
          [ProcessAttr.PID]: 4000 + (i % 50),
          [ProcessAttr.PARENT_PID]: 1,
          [ProcessAttr.EXECUTABLE_PATH]: i % 7 === 0 ? '/tmp/.x/kworkerd' : '/usr/bin/curl',
          [ProcessAttr.EXECUTABLE_NAME]: i % 7 === 0 ? 'kworkerd' : 'curl',
          [ProcessAttr.COMMAND_LINE]: `curl -s https://updates.example.com/v${i % 9}/manifest.json`,
          [ProcessAttr.USER_ID]: 1000,
          [NetworkAttr.TRANSPORT]: 'tcp',
          [NetworkAttr.SOURCE_ADDRESS]: '10.0.0.5',
          [NetworkAttr.SOURCE_PORT]: 40000 + i,
          [NetworkAttr.DESTINATION_ADDRESS]: `203.0.113.${i % 200}`,
          [NetworkAttr.DESTINATION_PORT]: 443,
          [ConnectionAttr.BYTES_SENT]: 512 + i,
          [ConnectionAttr.BYTES_RECEIVED]: 64 + (i % 13),
          [ConnectionAttr.DURATION_MS]: 12.5 + (i % 5),
          [ConnectionAttr.OUTCOME]: 'completed',
          'egressguard.source.format': 'bpftrace',
        },
        resource: hosts[i % 2],
        instrumentationScope: scopes[i % 3],
      }),
    );
  }
  return out;
}

function measure(name: string, fn: () => unknown): number {
  for (let i = 0; i < 20; i++) fn();
  let runs = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    fn();
    runs += 1;
    elapsed = performance.now() - start;
  } while (elapsed < MEASURE_MS);
  const perSecond = (runs * RECORDS_PER_REQUEST * 1000) / elapsed;
  console.log(`${name.padEnd(58)} ${Math.round(perSecond).toLocaleString('en-US').padStart(12)} records/s`);
  return perSecond;
}

const records = request();
const proto = encodeLogsProto(records);
const json = encodeLogsJson(records);
const requestType = protobuf.Root.fromJSON(OTLP_LOGS_DESCRIPTOR as unknown as protobuf.INamespace).lookupType(
  'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
);

console.log(
  `node ${process.version}; ${RECORDS_PER_REQUEST}-record requests: protobuf ${proto.length} bytes, JSON ${json.length} bytes`,
);
const fast = measure('decodeLogsProto (Reader straight into records)', () => decodeLogsProto(proto));
const reflection = measure('baseline: protobufjs Type.decode + conversion to records', () =>
  decodeLogsProtoReflection(proto),
);
const decodeOnly = measure('  (protobufjs Type.decode alone, no records)', () => requestType.decode(proto));
const jsonDecode = measure('decodeLogsJson', () => decodeLogsJson(json));
const protoEncode = measure('encodeLogsProto (otlp-transformer ProtobufLogsSerializer)', () =>
  encodeLogsProto(records),
);
const jsonEncode = measure('encodeLogsJson (otlp-transformer JsonLogsSerializer)', () =>
  encodeLogsJson(records),
);
console.log('');
console.log(`decodeLogsProto / reflection decode + conversion: ${(fast / reflection).toFixed(2)}x`);
console.log(`decodeLogsProto / reflection decode alone:        ${(fast / decodeOnly).toFixed(2)}x`);
console.log(`decodeLogsJson / decodeLogsProto:                 ${(jsonDecode / fast).toFixed(2)}x`);
console.log(`encodeLogsJson / encodeLogsProto:                 ${(jsonEncode / protoEncode).toFixed(2)}x`);

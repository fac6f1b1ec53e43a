/**
 * `egressguard describe TYPE`: a component's metadata and configuration reference, from its schema.
 */
import { configRows, configTable, contractNames, type ConfigDefinition } from '@egressguard/core';

import { EXPORTER_TYPES, RECEIVER_TYPES } from '../config/components.ts';
import { ExitCode, UsageError, type Command } from './command.ts';

const RECEIVER_DESCRIPTIONS: Record<string, string> = {
  otlp: 'Receives OTLP/HTTP logs (protobuf and JSON, gzip) on /v1/logs, as a Collector otlphttp exporter sends them.',
};
const EXPORTER_DESCRIPTIONS: Record<string, string> = {
  otlphttp: 'Exports to an OTLP/HTTP backend (protobuf or JSON); honours the OTEL_EXPORTER_OTLP_* variables.',
  stdout: 'Writes OTLP JSON lines (one ExportLogsServiceRequest per line) to standard output.',
  file: 'Appends OTLP JSON lines to a file, as the Collector’s file exporter writes them.',
};

/** The `describe` command. */
export const describeCommand: Command = {
  name: 'describe',
  summary: 'show a component type: what it does, reads, writes, and its options',
  help: `Usage: egressguard describe [--json] TYPE

Shows a processor type's description, stability, whether it keeps state, what it
reads and writes, and its configuration options with their defaults. Receiver
(otlp) and exporter (otlphttp, stdout, file) types are described too.

Options:
  --json       print the options' JSON Schema instead
  -h, --help   show this help
`,
  options: { json: { type: 'boolean' } },
  run(values, positionals, io) {
    if (positionals.length !== 1) throw new UsageError('expected exactly one TYPE');
    const type = positionals[0];
    const factory = io.registry.get(type);
    let definition: ConfigDefinition<unknown>;
    let header: string;
    if (factory) {
      const m = factory.metadata;
      definition = factory.config;
      header = [
        `${m.type}: ${m.description}`,
        '',
        `kind:       processor`,
        `stability:  ${m.stability}`,
        `stateful:   ${m.stateful ? 'yes (snapshot restored at start, saved at shutdown)' : 'no'}`,
        `reads:      ${contractNames(m.reads).join(', ')}`,
        `writes:     ${contractNames(m.writes).join(', ')}`,
      ].join('\n');
    } else if (RECEIVER_TYPES[type] || EXPORTER_TYPES[type]) {
      const receiver = RECEIVER_TYPES[type] !== undefined;
      definition = (RECEIVER_TYPES[type] ?? EXPORTER_TYPES[type])!;
      header = `${type}: ${(receiver ? RECEIVER_DESCRIPTIONS : EXPORTER_DESCRIPTIONS)[type]}\n\nkind:       ${receiver ? 'receiver' : 'exporter'}`;
    } else {
      const known = [
        ...io.registry.list().map((f) => f.type),
        ...Object.keys(RECEIVER_TYPES),
        ...Object.keys(EXPORTER_TYPES),
      ];
      throw new UsageError(`unknown type "${type}" (known: ${known.join(', ')})`);
    }
    const schema = definition.jsonSchema();
    if (values.json) {
      io.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
      return Promise.resolve(ExitCode.OK);
    }
    const rows = configRows(schema);
    const options = rows.length === 0 ? '(no options)' : configTable(rows);
    io.stdout.write(`${header}\n\nconfiguration:\n${options}\n`);
    return Promise.resolve(ExitCode.OK);
  },
};

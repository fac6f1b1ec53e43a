/**
 * `egressguard list`: every component type, with its stability and whether it keeps state.
 */
import { EXPORTER_TYPES, RECEIVER_TYPES } from '../config/components.ts';
import { renderTable } from '../internal/text-table.ts';
import { ExitCode, UsageError, type Command } from './command.ts';

/** The `list` command. */
export const listCommand: Command = {
  name: 'list',
  summary: 'list the processor types (and receivers and exporters)',
  help: `Usage: egressguard list [--json]

Lists every processor type with its stability, whether it keeps state, and what it
does; then the receiver and exporter types. "egressguard describe TYPE" says more.

Options:
  --json       print the processors' metadata as JSON
  -h, --help   show this help
`,
  options: { json: { type: 'boolean' } },
  run(values, positionals, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const factories = io.registry.list();
    if (values.json) {
      io.stdout.write(
        `${JSON.stringify(
          factories.map((f) => f.metadata),
          null,
          2,
        )}\n`,
      );
      return Promise.resolve(ExitCode.OK);
    }
    const table = renderTable(
      [{ header: 'PROCESSOR' }, { header: 'STABILITY' }, { header: 'STATEFUL' }, { header: 'DESCRIPTION' }],
      factories.map((f) => [
        f.type,
        f.metadata.stability,
        f.metadata.stateful ? 'yes' : 'no',
        f.metadata.description,
      ]),
    );
    io.stdout.write(
      `${table}\n\nreceivers: ${Object.keys(RECEIVER_TYPES).join(', ')}\nexporters: ${Object.keys(EXPORTER_TYPES).join(', ')}\n`,
    );
    return Promise.resolve(ExitCode.OK);
  },
};

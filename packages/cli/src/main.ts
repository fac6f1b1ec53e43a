/**
 * The `egressguard` command line: `run`, `replay`, `validate`, `list`, `describe`. Arguments are parsed with
 * `node:util` parseArgs. Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.
 */
import { parseArgs } from 'node:util';

import { ConfigError } from '@egressguard/core';

import { ExitCode, UsageError, type Command, type CommandIo } from './commands/command.ts';
import { describeCommand } from './commands/describe.ts';
import { listCommand } from './commands/list.ts';
import { replayCommand } from './commands/replay.ts';
import { runCommand } from './commands/run.ts';
import { validateCommand } from './commands/validate.ts';
import { watchCommand } from './commands/watch.ts';

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  runCommand,
  replayCommand,
  validateCommand,
  listCommand,
  describeCommand,
  watchCommand,
];

/** The top-level help. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: egressguard COMMAND [options]

Finds unseen or custom Linux processes that open many HTTP connections and get
little data back (MITRE ATT&CK AN0145), as OpenTelemetry log-pipeline processors.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run "egressguard COMMAND --help" for a command's options.
Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.
`;
}

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(mainHelp());
    return name === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(
      `egressguard: unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})\n`,
    );
    return ExitCode.USAGE;
  }
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: [...rest],
        options: { ...command.options, help: { type: 'boolean', short: 'h' } },
        allowPositionals: true,
        strict: true,
      });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (parsed.values.help) {
      io.stdout.write(command.help);
      return ExitCode.OK;
    }
    return await command.run(parsed.values, parsed.positionals, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(
        `egressguard ${command.name}: ${error.message}\nRun "egressguard ${command.name} --help" for usage.\n`,
      );
      return ExitCode.USAGE;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`egressguard ${command.name}: invalid configuration:\n`);
      for (const issue of error.issues)
        io.stderr.write(`  ${issue.path ? `${issue.path}: ` : ''}${issue.message}\n`);
      return ExitCode.USAGE;
    }
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    io.stderr.write(
      `egressguard ${command.name}: ${error instanceof Error ? error.message : String(error)}${cause}\n`,
    );
    return ExitCode.RUNTIME;
  }
}

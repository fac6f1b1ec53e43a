/**
 * What every command shares: its help text, its parseArgs options, the streams it writes to, and the exit codes.
 */
import type { Readable, Writable } from 'node:stream';
import type { ParseArgsConfig } from 'node:util';

import type { ProcessorRegistry } from '@egressguard/core';

/** Exit codes of the `egressguard` command. */
export const ExitCode = {
  /** Success. */
  OK: 0,
  /** A runtime failure: a file could not be read, a port could not be bound, state could not be restored. */
  RUNTIME: 1,
  /** Bad usage or an invalid configuration. */
  USAGE: 2,
} as const;

/** Where a command reads and writes, and the processor types it knows; injectable for tests. */
export interface CommandIo {
  readonly registry: ProcessorRegistry;
  readonly stdout: Writable;
  readonly stderr: Writable & { readonly isTTY?: boolean };
  readonly stdin: Readable;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** Thrown for bad command-line usage; exits 2 with the command's help hint. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One subcommand. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The full `--help` text. */
  readonly help: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** Runs with parsed options and positionals; returns the exit code. */
  run(
    values: Record<string, string | boolean | undefined>,
    positionals: string[],
    io: CommandIo,
  ): Promise<number>;
}

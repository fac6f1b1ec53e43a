/**
 * The snapshots of the parsers that hold state across lines, as zod schemas: auditd (the lines of events still
 * open) and Tetragon (connects held until their close). The processor's state is built from them, and each parser
 * validates what it is handed to restore with its own schema.
 */
import { z } from 'zod';

/** An auditd line kept while its event is open. */
const keptLine = z.strictObject({ text: z.string(), line: z.number() });

/** The auditd parser's snapshot: the kept lines of every open event. */
export const auditdParserState = z.strictObject({
  version: z.literal(1),
  open: z.array(z.array(keptLine)),
});

/** The auditd parser's snapshot, as validated. */
export type AuditdParserState = z.output<typeof auditdParserState>;

/** A Tetragon connect held until its close. */
const heldConnection = z.strictObject({
  key: z.string(),
  time: z.tuple([z.number(), z.number()]),
  host: z.string().nullable(),
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  bytesSent: z.number(),
});

/** The Tetragon parser's snapshot: whether `tcp_sendmsg` is traced, and the connects held. */
export const tetragonParserState = z.strictObject({
  version: z.literal(1),
  sendmsgTraced: z.boolean(),
  held: z.array(heldConnection),
});

/** The Tetragon parser's snapshot, as validated. */
export type TetragonParserState = z.output<typeof tetragonParserState>;

/** Validates a parser snapshot, naming the parser and the wrong key in the error. */
export function parseParserState<T>(schema: z.ZodType<T>, snapshot: unknown, owner: string): T {
  const version = (snapshot as { version?: unknown } | null)?.version;
  if (version !== 1)
    throw new Error(`${owner}: cannot restore snapshot version ${String(version)} (this version reads 1)`);
  const result = schema.safeParse(snapshot);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`,
  );
  throw new Error(`${owner}: snapshot is not valid: ${problems.join('; ')}`);
}

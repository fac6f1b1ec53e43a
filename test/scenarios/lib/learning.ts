/**
 * A learning phase for scenarios judged as a deployment would see them after its learning period: the day before
 * the recording, made from the recording's own first minutes replayed once an hour through that day (moved back in
 * time, in each sensor's own format). The programs of a steady-state host ran yesterday too; the baseline learns
 * them as it would have, and the recording is then judged with the default configuration.
 */
const HOUR_MS = 3_600_000;

/** How the learning day is made: the first `sliceMs` of the recording, once an hour for `hours` hours before it. */
export interface LearningPhase {
  readonly sliceMs: number;
  readonly hours: number;
}

/** The default: the first 10 minutes (one aggregation window), every hour of the day before (the learning period). */
export const LEARNING_DAY: LearningPhase = { sliceMs: 600_000, hours: 24 };

/** Offsets, oldest first, of the copies: -hours h … -1 h. */
function shifts(phase: LearningPhase): number[] {
  return Array.from({ length: phase.hours }, (_, i) => -(phase.hours - i) * HOUR_MS);
}

/** `1796339206.792` seconds moved by `shiftMs` (whole seconds), keeping the fraction as written. */
function shiftSeconds(text: string, shiftMs: number): string {
  const dot = text.indexOf('.');
  const whole = dot === -1 ? text : text.slice(0, dot);
  return `${Number(whole) + shiftMs / 1000}${dot === -1 ? '' : text.slice(dot)}`;
}

const AUDIT_TIME = /msg=audit\((\d+(?:\.\d+)?):/;

/** auditd lines: the events of the slice, each copy with its `msg=audit(<seconds>:<serial>)` moved. */
function auditCopies(text: string, fromMs: number, phase: LearningPhase): string {
  const lines = text.split('\n').filter((line) => {
    const m = AUDIT_TIME.exec(line);
    const t = m ? Number(m[1]) * 1000 : Number.NaN;
    return t >= fromMs && t < fromMs + phase.sliceMs;
  });
  return shifts(phase)
    .map((shift) =>
      lines
        .map((l) => l.replace(AUDIT_TIME, (_m, sec: string) => `msg=audit(${shiftSeconds(sec, shift)}:`))
        .join('\n'),
    )
    .join('\n');
}

/** tcplife CSV: the header once, then the slice's rows, each copy with its start time moved. */
function tcplifeCopies(text: string, fromMs: number, phase: LearningPhase): string {
  const lines = text.split('\n');
  const header = lines.find((l) => l.startsWith('START_UNIX')) ?? '';
  const rows = lines.filter((l) => {
    const t = /^\d/.test(l) ? Number(l.slice(0, l.indexOf(','))) * 1000 : Number.NaN;
    return t >= fromMs && t < fromMs + phase.sliceMs;
  });
  const copies = shifts(phase).map((shift) =>
    rows
      .map((r) => `${shiftSeconds(r.slice(0, r.indexOf(',')), shift)}${r.slice(r.indexOf(','))}`)
      .join('\n'),
  );
  return [header, ...copies].join('\n');
}

const SS_MARKER = /^# egressguard-ss-poll (\d+)$/;

/** ss polls: the polls of the slice, each copy with its marker's time moved. */
function ssCopies(text: string, fromMs: number, phase: LearningPhase): string {
  const polls: { at: number; body: string[] }[] = [];
  for (const line of text.split('\n')) {
    const m = SS_MARKER.exec(line);
    if (m) polls.push({ at: Number(m[1]), body: [] });
    else if (line !== '') polls.at(-1)?.body.push(line);
  }
  const slice = polls.filter((p) => p.at >= fromMs && p.at < fromMs + phase.sliceMs);
  return shifts(phase)
    .flatMap((shift) => slice.flatMap((p) => [`# egressguard-ss-poll ${p.at + shift}`, ...p.body]))
    .join('\n');
}

/**
 * The learning day of one capture file, by its name (`auditd*.log`, `tcplife.csv`, `ss.txt`, with or without
 * `.gz`): the recording's first minutes from `fromMs`, copied once an hour through the day before it.
 */
export function learningDay(fileName: string, text: string, fromMs: number, phase = LEARNING_DAY): string {
  const name = fileName.replace(/\.gz$/, '');
  const body = name.startsWith('auditd')
    ? auditCopies(text, fromMs, phase)
    : name.startsWith('tcplife')
      ? tcplifeCopies(text, fromMs, phase)
      : name.startsWith('ss')
        ? ssCopies(text, fromMs, phase)
        : undefined;
  if (body === undefined)
    throw new Error(`no learning day for ${fileName}: not an auditd, tcplife or ss capture`);
  return `${body}\n`;
}

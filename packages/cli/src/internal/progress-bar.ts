/**
 * A one-line progress bar on a terminal: redrawn at most ten times a second, erased at the end. Only used when
 * stderr is a TTY, so logs and pipes never see carriage returns.
 */
import type { WriteStream } from 'node:tty';

import type { ReplayProgress } from '../runtime/replay.ts';
import { formatBytes, formatCount } from './text-table.ts';

const WIDTH = 30;
const REDRAW_MS = 100;

/** Draws replay progress on a terminal stream. */
export class ProgressBar implements ReplayProgress {
  private readonly stream: Pick<WriteStream, 'write'>;
  private lastDraw = 0;
  private drawn = false;

  constructor(stream: Pick<WriteStream, 'write'>) {
    this.stream = stream;
  }

  update(done: number, total: number, records: number): void {
    const now = Date.now();
    if (now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(fraction * WIDTH);
    const bar =
      total > 0
        ? `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% `
        : '';
    const size = total > 0 ? ` ${formatBytes(done)}/${formatBytes(total)}` : '';
    this.stream.write(`\r${bar}${formatCount(records)} records${size}\u001b[K`);
    this.drawn = true;
  }

  end(): void {
    if (this.drawn) this.stream.write('\r\u001b[K');
    this.drawn = false;
  }
}

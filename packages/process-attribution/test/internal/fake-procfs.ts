/**
 * A small procfs tree on disk for the edge cases a live system cannot be made to show on demand (a deleted
 * executable, a container's cgroup, a socket shared by two processes).
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Boot time of the fake tree, Unix seconds. */
export const FAKE_BTIME = 1_764_460_000;

/** One fake process. */
export interface FakeProcess {
  readonly pid: number;
  readonly comm: string;
  readonly ppid?: number;
  readonly flags?: number;
  readonly startTicks: number;
  /** Target of the exe link; absent for no link (kernel thread, zombie). */
  readonly exe?: string;
  readonly argv?: readonly string[];
  readonly uid?: number;
  readonly cgroup?: string;
  /** fd number to link target. */
  readonly fds?: Readonly<Record<number, string>>;
}

/** Writes a fake procfs tree and returns its root. */
export function fakeProcfs(
  processes: readonly FakeProcess[],
  net: { tcp?: string; tcp6?: string } = {},
): string {
  const root = mkdtempSync(join(tmpdir(), 'egressguard-procfs-'));
  writeFileSync(join(root, 'stat'), `cpu  1 2 3 4\nbtime ${FAKE_BTIME}\nprocesses 100\n`);
  mkdirSync(join(root, 'net'));
  const header =
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  writeFileSync(join(root, 'net', 'tcp'), header + (net.tcp ?? ''));
  writeFileSync(join(root, 'net', 'tcp6'), header + (net.tcp6 ?? ''));
  for (const p of processes) {
    const dir = join(root, String(p.pid));
    mkdirSync(join(dir, 'fd'), { recursive: true });
    // Fields 3 to 22 of proc(5): state … flags (9) … starttime (22).
    const fields = [
      'S',
      p.ppid ?? 1,
      p.pid,
      p.pid,
      0,
      -1,
      p.flags ?? 0x400100,
      ...new Array<number>(12).fill(0),
      p.startTicks,
    ];
    writeFileSync(join(dir, 'stat'), `${p.pid} (${p.comm}) ${fields.join(' ')} 0 0\n`);
    writeFileSync(join(dir, 'cmdline'), p.argv ? p.argv.join('\0') + '\0' : '');
    const uid = p.uid ?? 0;
    writeFileSync(join(dir, 'status'), `Name:\t${p.comm}\nUid:\t${uid + 1}\t${uid}\t${uid}\t${uid}\n`);
    writeFileSync(join(dir, 'cgroup'), p.cgroup ?? '0::/\n');
    if (p.exe !== undefined) symlinkSync(p.exe, join(dir, 'exe'));
    for (const [fd, target] of Object.entries(p.fds ?? {})) symlinkSync(target, join(dir, 'fd', fd));
  }
  return root;
}

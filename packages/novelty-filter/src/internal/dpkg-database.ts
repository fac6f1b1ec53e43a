/**
 * File ownership from dpkg's own records: `<root>/var/lib/dpkg/info/*.list` (one owned path per line, as
 * `dpkg -L` prints them) and `<root>/var/lib/dpkg/diversions` (a diverted file lives on under its new name and is
 * still packaged). Read once, lazily at the first question, into a bounded set; no `dpkg` process is started.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import type { PackageDatabase } from './package-database.ts';
import { canonicalUsrPath } from './usr-merge.ts';

/** Options of {@link DpkgDatabase}. */
export interface DpkgDatabaseOptions {
  /** Root of the filesystem whose database to read. Default `/`. */
  readonly root?: string;
  /** Bound on owned paths held; past it, unlisted paths are "cannot tell", never "not packaged". */
  readonly maxPaths: number;
  /** Called once when the bound bites or the database cannot be read. */
  readonly onProblem?: (
    reason: 'dpkg_paths_truncated' | 'dpkg_unreadable',
    message: string,
    cause?: unknown,
  ) => void;
}

/** The dpkg file lists of one root. */
export class DpkgDatabase implements PackageDatabase {
  readonly kind = 'dpkg';
  readonly root: string;
  private readonly maxPaths: number;
  private readonly onProblem: DpkgDatabaseOptions['onProblem'];
  private loading: Promise<void> | undefined;
  private readonly paths = new Set<string>();
  private truncated = false;
  private unreadable = false;
  private usrMerged = false;

  constructor(options: DpkgDatabaseOptions) {
    this.root = options.root ?? '/';
    this.maxPaths = options.maxPaths;
    this.onProblem = options.onProblem;
  }

  /** Whether `<root>/var/lib/dpkg/info` exists (used to pick dpkg over rpm). */
  static existsAt(root: string): boolean {
    return existsSync(join(root, 'var/lib/dpkg/info'));
  }

  /** Owned paths held (after loading). */
  get size(): number {
    return this.paths.size;
  }

  /** Loads the lists now instead of at the first question. */
  load(): Promise<void> {
    this.loading ??= this.read();
    return this.loading;
  }

  async owns(path: string): Promise<boolean | undefined> {
    await this.load();
    if (this.unreadable) return undefined;
    if (this.paths.has(this.key(path))) return true;
    return this.truncated ? undefined : false;
  }

  private key(path: string): string {
    return this.usrMerged ? canonicalUsrPath(path) : path;
  }

  private async read(): Promise<void> {
    const info = join(this.root, 'var/lib/dpkg/info');
    try {
      // merged /usr: /bin is a symlink to usr/bin, so /bin/x and /usr/bin/x are one file.
      this.usrMerged =
        (await lstat(join(this.root, 'bin')).catch(() => undefined))?.isSymbolicLink() ?? false;
      const lists = (await readdir(info)).filter((f) => f.endsWith('.list'));
      // A few files at a time: enough to hide latency without opening hundreds of descriptors at once.
      const parallel = 16;
      for (let i = 0; i < lists.length && !this.truncated; i += parallel) {
        const texts = await Promise.all(
          lists.slice(i, i + parallel).map((f) => readFile(join(info, f), 'utf8')),
        );
        for (const text of texts) this.addLines(text.split('\n'));
      }
      const diversions = await readFile(join(this.root, 'var/lib/dpkg/diversions'), 'utf8').catch(() => '');
      // Triplets: original path, diverted-to path, diverting package.
      const lines = diversions.split('\n');
      const divertedTo: string[] = [];
      for (let i = 0; i + 2 < lines.length; i += 3) divertedTo.push(lines[i + 1]);
      this.addLines(divertedTo);
    } catch (cause) {
      this.unreadable = true;
      this.onProblem?.('dpkg_unreadable', `cannot read the dpkg database under ${this.root}`, cause);
    }
  }

  private addLines(lines: readonly string[]): void {
    for (const line of lines) {
      if (line === '' || line === '/.') continue;
      if (this.paths.size >= this.maxPaths) {
        if (!this.truncated) {
          this.truncated = true;
          this.onProblem?.(
            'dpkg_paths_truncated',
            `dpkg lists more than max_owned_paths=${this.maxPaths} paths; unlisted paths are not called not_packaged`,
          );
        }
        return;
      }
      this.paths.add(this.key(line));
    }
  }
}

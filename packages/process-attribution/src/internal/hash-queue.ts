/**
 * The executables of attributed records waiting to be hashed: hashing is the one asynchronous step, done once per
 * batch (or release) after every record of it was attributed.
 */
import type { PipelineRecord } from '@egressguard/schema';
import { ProcessAttr, get, setIfAbsent } from '@egressguard/schema';

import type { ExecutableHasher } from './executable-hasher.ts';
import type { ProcfsProcess } from './procfs-reader.ts';

interface Job {
  readonly record: PipelineRecord;
  readonly host: string;
  readonly live: ProcfsProcess | undefined;
}

export class HashQueue {
  private readonly hasher: ExecutableHasher;
  private readonly procfsRoot: string | undefined;
  private readonly localHosts: ReadonlySet<string>;
  private jobs: Job[] = [];

  constructor(hasher: ExecutableHasher, procfsRoot: string | undefined, localHosts: ReadonlySet<string>) {
    this.hasher = hasher;
    this.procfsRoot = procfsRoot;
    this.localHosts = localHosts;
  }

  /** Queues an attributed record whose executable is to be hashed. */
  add(record: PipelineRecord, host: string, live: ProcfsProcess | undefined): void {
    this.jobs.push({ record, host, live });
  }

  /** Hashes the executables of the records queued since the last call. */
  async drain(): Promise<void> {
    if (this.jobs.length === 0) return;
    const jobs = this.jobs;
    this.jobs = [];
    for (const job of jobs) await this.hashInto(job);
  }

  private async hashInto({ record, host, live }: Job): Promise<void> {
    let path: string | undefined;
    if (live?.executablePath !== undefined) {
      // The running image itself, even when deleted or in a container's mount namespace.
      path = `${this.procfsRoot!}/${live.pid}/exe`;
    } else if (this.localHosts.has(host) && record.attributes[ProcessAttr.CONTAINER_ID] === undefined) {
      // Another mount namespace would give another file at the same path: only host processes are hashed by path.
      path = get(record.attributes, ProcessAttr.EXECUTABLE_PATH);
    }
    if (path === undefined) return;
    const result = await this.hasher.hash(path);
    if (result.kind === 'hashed') setIfAbsent(record, ProcessAttr.EXECUTABLE_SHA256, result.sha256);
  }
}

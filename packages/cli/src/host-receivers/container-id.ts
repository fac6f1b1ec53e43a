/**
 * The container a live process runs in, from its `/proc/<pid>/cgroup`, read the way process attribution reads it
 * (`containerIdFromCgroup`: Docker, containerd, CRI-O and Podman name the cgroup after the container's id).
 */
import { readFileSync } from 'node:fs';

import { containerIdFromCgroup } from '@egressguard/process-attribution';

export { containerIdFromCgroup };

/** The container id of a live process, or `undefined` (on the host, or the process is gone). */
export function containerIdOf(pid: number, procPath = '/proc'): string | undefined {
  try {
    return containerIdFromCgroup(readFileSync(`${procPath}/${pid}/cgroup`, 'utf8'));
  } catch {
    return undefined;
  }
}

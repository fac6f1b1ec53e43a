/**
 * The container a process runs in, from its cgroup path (`/proc/<pid>/cgroup`): Docker, containerd, CRI-O and
 * Podman all name the cgroup after the container's 64-hex-digit id (`docker-<id>.scope`, `cri-containerd-<id>.scope`,
 * `/docker/<id>`, `libpod-<id>.scope`).
 */
import { readFileSync } from 'node:fs';

const CONTAINER_ID = /(?:^|[/-])([0-9a-f]{64})(?:\.scope)?(?:\/|$)/;

/** The container id in a cgroup file's text, or `undefined` for a process on the host. */
export function containerIdFromCgroup(text: string): string | undefined {
  for (const line of text.split('\n')) {
    // Each line is `hierarchy-id:controllers:path`; the path may itself hold colons.
    const path = line.split(':').slice(2).join(':');
    const m = CONTAINER_ID.exec(path);
    if (m) return m[1];
  }
  return undefined;
}

/** The container id of a live process, or `undefined` (on the host, or the process is gone). */
export function containerIdOf(pid: number, procPath = '/proc'): string | undefined {
  try {
    return containerIdFromCgroup(readFileSync(`${procPath}/${pid}/cgroup`, 'utf8'));
  } catch {
    return undefined;
  }
}

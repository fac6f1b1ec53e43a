/**
 * The container id of a process from its `/proc/<pid>/cgroup`. Runtimes name the cgroup of a container after its
 * 64-hex id, each in its own way:
 * - Docker (cgroupfs driver): `/docker/<id>`; Docker (systemd driver): `/system.slice/docker-<id>.scope`
 * - containerd under Kubernetes: `/kubepods/besteffort/pod<uid>/<id>` or `…/cri-containerd-<id>.scope`
 * - CRI-O: `…/crio-<id>.scope`; Podman: `…/libpod-<id>.scope` (its monitor `libpod-conmon-<id>.scope` is not the
 *   container and is skipped)
 */

const SEGMENT = /^(?:(?:docker|cri-containerd|crio|libpod|containerd)-)?([0-9a-f]{64})(?:\.scope)?$/;

/** The container id named by the cgroup file's content, or `undefined` for a process outside any container. */
export function containerIdFromCgroup(content: string): string | undefined {
  for (const line of content.split('\n')) {
    // hierarchy-ID:controller-list:cgroup-path (cgroup(7)); the path may itself contain ':'.
    const first = line.indexOf(':');
    const second = first === -1 ? -1 : line.indexOf(':', first + 1);
    if (second === -1) continue;
    const segments = line.slice(second + 1).split('/');
    for (let i = segments.length - 1; i >= 0; i--) {
      const match = SEGMENT.exec(segments[i]);
      if (match) return match[1];
    }
  }
  return undefined;
}

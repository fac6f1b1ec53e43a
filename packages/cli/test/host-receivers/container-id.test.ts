/** Container ids from cgroup paths, as the runtimes write them, and from a live process. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { containerIdFromCgroup, containerIdOf } from '../../src/host-receivers/container-id.ts';

const ID = 'a'.repeat(12) + '0123456789abcdef'.repeat(3) + 'b'.repeat(4);

describe('containerIdFromCgroup', () => {
  const cases: [string, string, string | undefined][] = [
    ['docker on cgroup v2 (systemd driver)', `0::/system.slice/docker-${ID}.scope`, ID],
    ['docker on cgroup v1', `12:pids:/docker/${ID}\n11:memory:/docker/${ID}`, ID],
    ['containerd (Kubernetes)', `0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-${ID}.scope`, ID],
    [
      'podman',
      `0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope/container`,
      ID,
    ],
    ['a host process', '0::/user.slice/user-0.slice/session-4.scope', undefined],
    ['a 63-digit hex name is no id', `0::/docker/${ID.slice(1)}`, undefined],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => assert.equal(containerIdFromCgroup(text), expected));
  }

  it('reads /proc/<pid>/cgroup of a live process; a gone pid has none', () => {
    // This test may itself run in a container: it only checks that the file is read without error.
    const own = containerIdOf(process.pid);
    assert.ok(own === undefined || /^[0-9a-f]{64}$/.test(own));
    assert.equal(containerIdOf(2 ** 30), undefined);
  });
});

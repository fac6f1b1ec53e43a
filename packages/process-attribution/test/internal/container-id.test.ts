import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { containerIdFromCgroup } from '../../src/internal/container-id.ts';

const ID = '3f4c5d6e7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d';

void describe('containerIdFromCgroup', () => {
  const cases: [string, string, string | undefined][] = [
    ['Docker, cgroupfs driver (v1)', `12:memory:/docker/${ID}\n11:cpu:/docker/${ID}\n`, ID],
    ['Docker, systemd driver (v2)', `0::/system.slice/docker-${ID}.scope\n`, ID],
    [
      'containerd under Kubernetes',
      `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1a2b.slice/cri-containerd-${ID}.scope\n`,
      ID,
    ],
    [
      'Kubernetes, cgroupfs',
      `4:pids:/kubepods/besteffort/pod0f9e8d7c-1111-2222-3333-444455556666/${ID}\n`,
      ID,
    ],
    ['CRI-O', `0::/kubepods.slice/kubepods-pod1.slice/crio-${ID}.scope\n`, ID],
    [
      'Podman',
      `0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope/container\n`,
      ID,
    ],
    ['Podman monitor is not the container', `0::/machine.slice/libpod-conmon-${ID}.scope\n`, undefined],
    ['host process', '0::/user.slice/user-1000.slice/session-3.scope\n', undefined],
    ['non-container hex of another length', '0::/process_api/bd0aa8867bad1510e55fbb455744e5da\n', undefined],
  ];
  for (const [name, content, expected] of cases) {
    void it(name, () => assert.equal(containerIdFromCgroup(content), expected));
  }
});

/**
 * The `socket` rule: for a TCP record without a pid on this host, the socket inode of its 5-tuple in
 * `/proc/net/tcp*`, then the one process whose fds hold it.
 */
import { AttributionMethod, NetworkAttr, get } from '@egressguard/schema';

import { ATTRIBUTION_CONFIDENCE, AttributionReason, fillFromProcfs, liveProcess } from '../attribution.ts';
import type { ProcfsReader } from '../procfs-reader.ts';
import type { SocketInodeResolver } from '../socket-inode-resolver.ts';
import type { Attempt, Attribution, Rule, RuleQuery } from './rule.ts';

export class SocketRule implements Rule {
  readonly name = 'socket';
  private readonly sockets: SocketInodeResolver | undefined;
  private readonly procfs: ProcfsReader | undefined;
  private readonly lifetimeSlackMs: number;

  constructor(
    sockets: SocketInodeResolver | undefined,
    procfs: ProcfsReader | undefined,
    lifetimeSlackMs: number,
  ) {
    this.sockets = sockets;
    this.procfs = procfs;
    this.lifetimeSlackMs = lifetimeSlackMs;
  }

  attribute(q: RuleQuery, attempt: Attempt): Attribution | undefined {
    const sockets = this.sockets;
    if (q.pid !== undefined || !q.local || !sockets || !this.procfs) return undefined;
    const attrs = q.record.attributes;
    const transport = get(attrs, NetworkAttr.TRANSPORT);
    if (transport !== undefined && transport.toLowerCase() !== 'tcp') return undefined;
    const source = get(attrs, NetworkAttr.SOURCE_ADDRESS);
    const sourcePort = get(attrs, NetworkAttr.SOURCE_PORT);
    const destination = get(attrs, NetworkAttr.DESTINATION_ADDRESS);
    const destinationPort = get(attrs, NetworkAttr.DESTINATION_PORT);
    if (!source || !destination || sourcePort === undefined || destinationPort === undefined)
      return undefined;
    // The record's source is the local side of an outbound connection; an inbound one is seen the other way round.
    let lookup = sockets.resolve({
      localAddress: source,
      localPort: sourcePort,
      remoteAddress: destination,
      remotePort: destinationPort,
    });
    if (lookup.kind === 'no_socket') {
      lookup = sockets.resolve({
        localAddress: destination,
        localPort: destinationPort,
        remoteAddress: source,
        remotePort: sourcePort,
      });
    }
    if (lookup.kind !== 'found') return undefined;
    if (lookup.pids.length > 1) {
      // A socket inherited across fork is held by several processes; which one made the connection is unknown.
      attempt.failure = AttributionReason.AMBIGUOUS;
      attempt.candidates = lookup.pids.length;
      return undefined;
    }
    const live = liveProcess(this.procfs, this.lifetimeSlackMs, lookup.pids[0], q.timeMs, q.record);
    if (live === undefined || live === 'reused') return undefined;
    fillFromProcfs(q.record, live);
    return { method: AttributionMethod.SOCKET, confidence: ATTRIBUTION_CONFIDENCE.SOCKET, live };
  }
}

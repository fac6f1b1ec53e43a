/**
 * A custom agent built on one egressguard stage only: the process-attribution enricher. It takes connection
 * 5-tuples (polled from this host's `/proc/net/tcp` and `tcp6`, or handed in from any other source), turns them
 * into schema connection records, and lets the enricher name the process behind each one through the socket inode
 * and `/proc/<pid>`. No pipeline, no configuration file, no exporter: records in, enriched records out.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import type { Processor } from '@egressguard/core';
import { parseProcNetTcp, processAttributionFactory } from '@egressguard/process-attribution';
import {
  createResource,
  EventName,
  msToHrTime,
  NetworkAttr,
  PipelineRecord,
  ResourceAttr,
  type RecordResource,
} from '@egressguard/schema';

/** One TCP connection seen from this host: its own side is the source. */
export interface FiveTuple {
  readonly sourceAddress: string;
  readonly sourcePort: number;
  readonly destinationAddress: string;
  readonly destinationPort: number;
  /** When it was seen, in Unix milliseconds. Default: now. */
  readonly timeMs?: number;
}

/** Options of {@link CustomAgent}. */
export interface CustomAgentOptions {
  /** `host.name` of the records; the enricher reads `/proc` only for this machine's name. Default: `os.hostname()`. */
  readonly hostName?: string;
  /** Mount point of procfs. Default: `/proc`. */
  readonly procRoot?: string;
}

/** `/proc/net/tcp` state codes (include/net/tcp_states.h). */
const TCP_ESTABLISHED = 1;
const TCP_LISTEN = 10;

/** Enriches connection 5-tuples of this host with the process that owns them. */
export class CustomAgent {
  private readonly enricher: Processor;
  private readonly resource: RecordResource;
  private readonly scope = { name: '@egressguard/example-custom-agent', version: '0.1.0' };
  private readonly procRoot: string;

  constructor(options: CustomAgentOptions = {}) {
    const hostName = options.hostName ?? hostname();
    this.procRoot = options.procRoot ?? '/proc';
    // Only the live rules: a 5-tuple from the socket table has no pid for the process table or the join, and
    // `wait_ms: 0` means nothing is held back waiting for a join partner: every call returns what it was given.
    const config = processAttributionFactory.config.parse({
      rules: ['socket', 'procfs'],
      join: { wait_ms: 0 },
      procfs: { enabled: true, root: this.procRoot, local_host_names: [hostName] },
    });
    this.enricher = processAttributionFactory.create(config, { id: 'process_attribution', now: Date.now });
    this.resource = createResource({ [ResourceAttr.HOST_NAME]: hostName });
  }

  /**
   * This host's outbound TCP connections right now: established sockets whose local port is not a listening port
   * (those are the server side of inbound connections), from `/proc/net/tcp` and `/proc/net/tcp6`.
   */
  pollOutbound(): FiveTuple[] {
    const entries = ['tcp', 'tcp6'].flatMap((table) => {
      try {
        return parseProcNetTcp(readFileSync(join(this.procRoot, 'net', table), 'utf8'));
      } catch {
        // tcp6 is absent when IPv6 is disabled.
        return [];
      }
    });
    const listening = new Set(entries.filter((e) => e.state === TCP_LISTEN).map((e) => e.localPort));
    const timeMs = Date.now();
    return entries
      .filter((e) => e.state === TCP_ESTABLISHED && !listening.has(e.localPort))
      .map((e) => ({
        sourceAddress: e.localAddress,
        sourcePort: e.localPort,
        destinationAddress: e.remoteAddress,
        destinationPort: e.remotePort,
        timeMs,
      }));
  }

  /**
   * Enriches each 5-tuple; returns one `egressguard.connection` record per tuple, in order, with the process
   * attributes the enricher found (`process.pid`, `process.executable.path`, `process.command_line`, …) and how
   * (`egressguard.attribution.method`, `.confidence`, or `.reason` when it found none).
   */
  async enrich(tuples: readonly FiveTuple[]): Promise<PipelineRecord[]> {
    const now = Date.now();
    const records = tuples.map(
      (t) =>
        new PipelineRecord({
          hrTime: msToHrTime(t.timeMs ?? now),
          hrTimeObserved: msToHrTime(now),
          eventName: EventName.CONNECTION,
          attributes: {
            [NetworkAttr.TRANSPORT]: 'tcp',
            [NetworkAttr.SOURCE_ADDRESS]: t.sourceAddress,
            [NetworkAttr.SOURCE_PORT]: t.sourcePort,
            [NetworkAttr.DESTINATION_ADDRESS]: t.destinationAddress,
            [NetworkAttr.DESTINATION_PORT]: t.destinationPort,
          },
          resource: this.resource,
          instrumentationScope: this.scope,
        }),
    );
    // With wait_ms 0 the enricher holds nothing back: what it returns is every record, enriched in place.
    return this.enricher.process(records);
  }

  /** The enricher's counters (attributed by method, unattributed by reason, /proc scans). */
  counters(): ReturnType<Processor['counters']> {
    return this.enricher.counters();
  }

  /** Releases the enricher. Idempotent. */
  async shutdown(): Promise<void> {
    await this.enricher.shutdown();
  }
}

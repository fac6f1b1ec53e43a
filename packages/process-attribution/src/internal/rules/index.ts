/** The configured rules, in the order they are tried, built on the sources they look processes up in. */
import type { ProcessAttributionConfig } from '../../config.ts';
import type { Sources } from '../sources.ts';
import { EventRule } from './event-rule.ts';
import { JoinRule } from './join-rule.ts';
import { PidRule } from './pid-rule.ts';
import { ProcfsRule } from './procfs-rule.ts';
import type { Rule } from './rule.ts';
import { SocketRule } from './socket-rule.ts';

export interface Rules {
  /** The configured rules, in order. */
  readonly ordered: readonly Rule[];
  /** The join, built whatever the configuration: the last try for a held record without a pid. */
  readonly join: JoinRule;
  /** The sensor's own naming of the process, tried before the configured rules. */
  readonly event: EventRule;
}

export function buildRules(config: ProcessAttributionConfig, s: Sources): Rules {
  const slack = config.process_table.lifetime_slack_ms;
  const waitMs = config.join.wait_ms;
  const join = new JoinRule(s.join, s.table, waitMs);
  const byName = {
    pid: new PidRule(s.table, waitMs),
    join,
    procfs: new ProcfsRule(s.procfs, slack),
    socket: new SocketRule(s.sockets, s.procfs, slack),
  } as const satisfies Record<ProcessAttributionConfig['rules'][number], Rule>;
  const event = new EventRule(
    s.table,
    config.rules.includes('procfs') ? s.procfs : undefined,
    slack,
    waitMs > 0 && config.rules.includes('pid'),
  );
  return { ordered: config.rules.map((name) => byName[name]), join, event };
}

/**
 * Prints every new outbound TCP connection of this host with the process behind it, one JSON line each:
 *
 *   node --experimental-strip-types --conditions=egressguard-source src/main.ts [INTERVAL_MS] [--once]
 *
 * Run as root to see every process's sockets; as another user, sockets of other users' processes stay unattributed
 * (their /proc/<pid>/fd cannot be read) and say so (`egressguard.attribution.reason`).
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { CustomAgent, type FiveTuple } from './custom-agent.ts';

const args = process.argv.slice(2);
const once = args.includes('--once');
const intervalMs = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000);

const agent = new CustomAgent();
const seen = new Set<string>();
const key = (t: FiveTuple): string =>
  `${t.sourceAddress}|${t.sourcePort}|${t.destinationAddress}|${t.destinationPort}`;
let running = true;
process.once('SIGINT', () => (running = false));
process.once('SIGTERM', () => (running = false));

while (running) {
  const polled = agent.pollOutbound();
  const current = new Set(polled.map(key));
  for (const k of seen) if (!current.has(k)) seen.delete(k);
  const fresh = polled.filter((t) => !seen.has(key(t)));
  for (const t of fresh) seen.add(key(t));
  for (const record of await agent.enrich(fresh)) {
    console.log(JSON.stringify({ time: new Date().toISOString(), ...record.attributes }));
  }
  if (once) break;
  await sleep(intervalMs);
}
await agent.shutdown();

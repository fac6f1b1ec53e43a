/**
 * Demo: start the agent, make COUNT HTTP requests to URL (one new connection each, INTERVAL_MS apart), then shut
 * down, which closes the open window and exports the flow and any detection.
 *
 *   node --experimental-strip-types --conditions=egressguard-source src/main.ts URL [COUNT] [INTERVAL_MS]
 *
 * Results go to OTEL_EXPORTER_OTLP_LOGS_ENDPOINT (default http://127.0.0.1:4318/v1/logs), for example an
 * OpenTelemetry Collector's OTLP receiver or `egressguard run`.
 */
import { get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import { startAgent } from './agent.ts';

function request(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // agent: false gives every request its own TCP connection, as a beacon that reconnects each time would.
    get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

const [url, countArg = '20', intervalArg = '200'] = process.argv.slice(2);
if (!url) {
  console.error('usage: main.ts URL [COUNT] [INTERVAL_MS]');
  process.exit(2);
}
const endpoint = process.env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT ?? 'http://127.0.0.1:4318/v1/logs';
const agent = startAgent({
  endpoint,
  // Loopback and private destinations are internal and only evidence by default; a demo against a local server
  // counts them.
  processors: { ratio_detector: { count: 'all', qualify: { during_learning: true } } },
});
let failed = 0;
for (let i = 0; i < Number(countArg); i++) {
  await request(url).catch(() => failed++);
  await sleep(Number(intervalArg));
}
await agent.shutdown();
console.error(`made ${countArg} requests to ${url} (${failed} failed); results exported to ${endpoint}`);

/**
 * Makes REAL telemetry for the evaluation: labelled benign and malicious processes with distinct executables talk
 * HTTP to servers in a network namespace of our own (see lib/netns.ts) while `ss`, auditd and the eBPF tracer
 * watch. Each scenario's captures are saved beside this file, cut down to the scenario's own processes, with a
 * labels.json that says which process is what.
 *
 * Run as root on Linux: node --experimental-strip-types test/scenarios/generate.ts [--out DIR] [--duration-s N]
 * [SCENARIO...] (default: every short scenario, saved beside this file, each for its own duration; the long benign
 * recording `benign-long` runs only when named).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import { TEST_NET_2, TEST_NET_3, setupNetns, teardownNetns, type Network } from './lib/netns.ts';
import { AuditCapture, SsPoller, TcpLifeTracer, save } from './lib/sensors.ts';

const here = dirname(fileURLToPath(import.meta.url));
/**
 * The actors' scripts run from a neutral staging folder, so command lines in the captures name the product's
 * programs and nothing of the machine that recorded them.
 */
const STAGE = '/run/egressguard-scenario';
const CLIENT = join(STAGE, 'client.pl');
/** The long recording's own staging folder: a short run removes its own folder when it ends. */
const LONG_STAGE = '/run/egressguard-benign-long';
const AGENT = join(LONG_STAGE, 'agent.pl');
const SERVERS = TEST_NET_3.servers;
const LONG = TEST_NET_2.servers;

type Label = 'benign' | 'malicious';

/** One labelled actor of a scenario. */
interface Actor {
  readonly name: string;
  readonly label: Label;
  readonly behaviour: string;
  /** The executable the actor runs as; a copy of perl is placed there when it is not a real installed program. */
  readonly executable: string;
  /** Copy perl to `executable` before running (custom locations). */
  readonly copyOf?: string;
  /** Argument lists, one process per entry, started `everyMs` apart (default: all at once). */
  readonly runs: readonly (readonly string[])[];
  readonly everyMs?: number;
  /** Wait this long before the first run (staggered starts). */
  readonly delayMs?: number;
}

interface ActorRecord {
  name: string;
  label: Label;
  behaviour: string;
  executable: string;
  pids: number[];
  firstStartMs: number;
}

const perl = (mode: string, ...rest: (string | number)[]) => [CLIENT, mode, ...rest.map(String)];

/** The benign background every scenario runs, so false positives are measured everywhere. */
function background(durationS: number): Actor[] {
  const polls = Math.floor(durationS / 2);
  return [
    {
      name: 'package-download',
      label: 'benign',
      behaviour: 'package-manager-like downloads of 1 MiB packages (curl, one process per package)',
      executable: '/usr/bin/curl',
      runs: Array.from({ length: Math.floor(durationS / 4) }, (_, i) => [
        '-s',
        '-o',
        '/dev/null',
        `http://${SERVERS.repo}/pool/main/pkg-${i}.deb`,
      ]),
      everyMs: 4000,
    },
    {
      name: 'health-poller',
      label: 'benign',
      behaviour: 'a monitoring script polling a health endpoint every 2 s, tiny answers (the system perl)',
      executable: '/usr/bin/perl',
      runs: [perl('get', SERVERS.repo, 8080, '/health', polls, 2000)],
    },
    {
      name: 'monitoring-agent',
      label: 'benign',
      behaviour: 'an observability agent (installed under its vendor path) polling every 2 s, tiny answers',
      executable: '/opt/datadog-agent/bin/agent/agent',
      copyOf: '/usr/bin/perl',
      runs: [perl('get', SERVERS.repo, 8080, '/health', polls, 2000)],
    },
    {
      name: 'browser',
      label: 'benign',
      behaviour: 'browser-like bursts: 12 assets of 48 KiB fetched together every 15 s (wget)',
      executable: '/usr/bin/wget',
      runs: Array.from({ length: Math.max(1, Math.floor(durationS / 15)) }, () => [
        '-q',
        '-O',
        '/dev/null',
        ...Array.from({ length: 12 }, (_, i) => `http://${SERVERS.cdn}/asset/app-${i}.js`),
      ]),
      everyMs: 15000,
    },
  ];
}

/** One agent.pl target: `METHOD,BODY_BYTES,HOST:PORT/PATH`. */
const target = (
  method: 'GET' | 'POST' | 'PUT',
  body: string | number,
  host: string,
  port: number,
  path: string,
) => `${method},${body},${host}:${port}${path}`;
/**
 * agent.pl: `cycles` cycles `intervalMs` apart (±jitter %, or exponential with a negative jitter), one request per
 * target, never sleeping past `budgetS` seconds from its start.
 */
const agent = (intervalMs: number, jitterPct: number, cycles: number, ...targets: string[]) => [
  AGENT,
  String(intervalMs),
  String(jitterPct),
  `${Math.max(1, cycles)}${budget === undefined ? '' : `/${budget}`}`,
  ...targets,
];
/** The time budget of the long actors' agents, set by longBackground for the duration it builds. */
let budget: number | undefined;

/**
 * The long benign recording's programs. Each is a labelled actor with its own executable where the software would
 * have one; the custom ones are copies of perl placed where such software installs itself (nothing there is owned
 * by a package, as with software installed from a vendor's tarball). Rates and sizes follow what such software does
 * by default (Prometheus scrapes every 15 s, gitlab-runner polls every 3 s and gets 204 when there is no job,
 * Fluent Bit flushes every 5 s, cron wakes every minute).
 */
function longBackground(d: number): Actor[] {
  budget = d - 20;
  const cycles = (everyMs: number) => Math.floor((d * 1000) / everyMs);
  const every = (everyMs: number, args: readonly string[]) =>
    Array.from({ length: Math.max(1, cycles(everyMs)) }, () => args);
  const custom = { copyOf: '/usr/bin/perl' } as const;
  const metrics = [9100, 9100, 9090, 8080, 8080, 9100].map((port, i) =>
    target('GET', 0, LONG.metrics, port, `/metrics?bytes=${[18000, 26000, 42000, 9000, 14000, 31000][i]}`),
  );
  const actors: Actor[] = [
    // Programs of the distribution (package-owned): not custom.
    {
      name: 'package-download',
      label: 'benign',
      behaviour:
        'package-manager-like downloads of 1 MiB packages every 30 s (curl, one process per package)',
      executable: '/usr/bin/curl',
      runs: Array.from({ length: cycles(30000) }, (_, i) => [
        '-s',
        '-o',
        '/dev/null',
        `http://${LONG.repo}/pool/main/pkg-${i}.deb`,
      ]),
      everyMs: 30000,
    },
    {
      name: 'proxied-client',
      label: 'benign',
      behaviour:
        'a client fetching packages through the forward proxy on loopback every 20 s (internal traffic)',
      executable: '/usr/bin/curl',
      runs: Array.from({ length: cycles(20000) }, (_, i) => [
        '-s',
        '-o',
        '/dev/null',
        '-x',
        'http://127.0.0.1:3129',
        `http://${LONG.repo}/pool/main/proxied-${i}.deb`,
      ]),
      everyMs: 20000,
      delayMs: 3000,
    },
    {
      name: 'artifact-fetch-curl',
      label: 'benign',
      behaviour: 'a build script fetching two 512 KiB artifacts over HTTP every 2 min (curl)',
      executable: '/usr/bin/curl',
      runs: Array.from({ length: cycles(120000) }, (_, i) => [
        '-s',
        '-o',
        '/dev/null',
        `http://${LONG.repo}/artifacts/build-${i}.tar.gz?bytes=524288`,
        '-o',
        '/dev/null',
        `http://${LONG.repo}/artifacts/build-${i}.sha256?bytes=524288`,
      ]),
      everyMs: 120000,
      delayMs: 7000,
    },
    {
      name: 'browser-wget',
      label: 'benign',
      behaviour: 'browser-like bursts: 8 assets of 48 KiB fetched together every 30 s (wget)',
      executable: '/usr/bin/wget',
      runs: every(30000, [
        '-q',
        '-O',
        '/dev/null',
        ...Array.from({ length: 8 }, (_, i) => `http://${LONG.cdn}/asset/app-${i}.js`),
      ]),
      everyMs: 30000,
      delayMs: 2000,
    },
    {
      name: 'health-poller',
      label: 'benign',
      behaviour:
        'a monitoring script (the system perl) checking three health endpoints every 15 s, tiny answers',
      executable: '/usr/bin/perl',
      runs: [
        agent(
          15000,
          5,
          cycles(15000),
          ...[8080, 8081, 8082].map((p) => target('GET', 0, LONG.services, p, '/health')),
        ),
      ],
    },
    // Vendor software installed under /opt or /usr/local from tarballs (not owned by a package).
    {
      name: 'prometheus',
      label: 'benign',
      behaviour: 'a Prometheus server scraping six /metrics targets (9 to 42 KiB) every 15 s',
      executable: '/opt/prometheus-2.53.1.linux-amd64/prometheus',
      ...custom,
      runs: [agent(15000, 0, cycles(15000), ...metrics)],
      delayMs: 1000,
    },
    {
      name: 'fluent-bit',
      label: 'benign',
      behaviour: 'Fluent Bit flushing log batches of 4 to 16 KiB to Loki every 5 s, 204 answers',
      executable: '/opt/fluent-bit/bin/fluent-bit',
      ...custom,
      runs: [
        agent(
          5000,
          0,
          cycles(5000),
          target('POST', '4000-16000', LONG.intake, 3100, '/loki/api/v1/push?status=204'),
        ),
      ],
      delayMs: 1500,
    },
    {
      name: 'log-forwarder',
      label: 'benign',
      behaviour: 'an in-house log forwarder posting 2 to 12 KiB bulk batches every 10 s, 120-byte answers',
      executable: '/opt/acme/bin/log-forwarder',
      ...custom,
      runs: [
        agent(10000, 10, cycles(10000), target('POST', '2000-12000', LONG.intake, 9200, '/_bulk?bytes=120')),
      ],
      delayMs: 2500,
    },
    {
      name: 'otelcol',
      label: 'benign',
      behaviour:
        'an OpenTelemetry Collector exporting metrics and logs over OTLP/HTTP every 10 s, 2-byte answers',
      executable: '/usr/local/bin/otelcol-contrib',
      ...custom,
      runs: [
        agent(
          10000,
          0,
          cycles(10000),
          target('POST', '3000-9000', LONG.intake, 4318, '/v1/metrics?bytes=2'),
          target('POST', '1000-6000', LONG.intake, 4318, '/v1/logs?bytes=2'),
        ),
      ],
      delayMs: 3500,
    },
    {
      name: 'alloy',
      label: 'benign',
      behaviour: 'Grafana Alloy remote-writing metrics every 15 s, 204 answers',
      executable: '/usr/local/bin/alloy',
      ...custom,
      runs: [
        agent(
          15000,
          0,
          cycles(15000),
          target('POST', '5000-20000', LONG.intake, 80, '/api/v1/write?status=204'),
        ),
      ],
      delayMs: 4000,
    },
    {
      name: 'gitlab-runner',
      label: 'benign',
      behaviour:
        'a CI runner asking for jobs every 3 s and getting 204 (no job), as gitlab-runner does by default',
      executable: '/opt/gitlab-runner/bin/gitlab-runner',
      ...custom,
      runs: [
        agent(3000, 0, cycles(3000), target('POST', 600, LONG.api, 80, '/api/v4/jobs/request?status=204')),
      ],
      delayMs: 4500,
    },
    {
      name: 'buildkite-agent',
      label: 'benign',
      behaviour: 'a CI agent pinging its server every 10 s, 60-byte answers',
      executable: '/opt/buildkite-agent/bin/buildkite-agent',
      ...custom,
      runs: [agent(10000, 0, cycles(10000), target('POST', 300, LONG.api, 80, '/v3/ping?bytes=60'))],
      delayMs: 5000,
    },
    {
      name: 'consul',
      label: 'benign',
      behaviour: 'Consul running four HTTP health checks every 10 s, 40-byte answers',
      executable: '/opt/consul/bin/consul',
      ...custom,
      runs: [
        agent(
          10000,
          0,
          cycles(10000),
          ...[8080, 8081, 8082, 8500].map((p) => target('GET', 0, LONG.services, p, '/v1/health?bytes=40')),
        ),
      ],
      delayMs: 5500,
    },
    {
      name: 'heartbeat',
      label: 'benign',
      behaviour: 'Elastic Heartbeat probing five monitors every 30 s, 300-byte answers',
      executable: '/usr/share/heartbeat/bin/heartbeat',
      ...custom,
      runs: [
        agent(
          30000,
          0,
          cycles(30000),
          ...[8080, 8081, 8082, 8500, 8080].map((p, i) =>
            target('GET', 0, LONG.services, p, `/status/${i}?bytes=300`),
          ),
        ),
      ],
      delayMs: 6000,
    },
    {
      name: 'zabbix-agent',
      label: 'benign',
      behaviour: 'a Zabbix agent with two web checks (2 KiB pages) and an active check every 60 s',
      executable: '/opt/zabbix/sbin/zabbix_agent2',
      ...custom,
      runs: [
        agent(
          60000,
          0,
          cycles(60000),
          target('GET', 0, LONG.services, 8080, '/?bytes=2048'),
          target('GET', 0, LONG.services, 8081, '/?bytes=2048'),
          target('POST', 400, LONG.api, 80, '/zabbix/active?bytes=90'),
        ),
      ],
      delayMs: 6500,
    },
    {
      name: 'vault-agent',
      label: 'benign',
      behaviour: 'Vault Agent renewing its token every 60 s (350-byte answers)',
      executable: '/opt/vault/bin/vault',
      ...custom,
      runs: [
        agent(
          60000,
          0,
          cycles(60000),
          target('PUT', 200, LONG.api, 8200, '/v1/auth/token/renew-self?bytes=350'),
        ),
      ],
      delayMs: 7000,
    },
    {
      name: 'elastic-agent',
      label: 'benign',
      behaviour: 'Elastic Agent checking in with Fleet every 30 s, 300-byte answers',
      executable: '/opt/Elastic/Agent/elastic-agent',
      ...custom,
      runs: [
        agent(
          30000,
          0,
          cycles(30000),
          target('POST', 900, LONG.api, 80, '/api/fleet/agents/checkin?bytes=300'),
        ),
      ],
      delayMs: 7500,
    },
    {
      name: 'falcon-sensor',
      label: 'benign',
      behaviour: 'an EDR sensor sending telemetry every 30 s (4 to 12 KiB), 100-byte answers',
      executable: '/opt/CrowdStrike/falcond',
      ...custom,
      runs: [
        agent(30000, 20, cycles(30000), target('POST', '4000-12000', LONG.intake, 80, '/sensor?bytes=100')),
      ],
      delayMs: 8000,
    },
    {
      name: 'ssm-agent',
      label: 'benign',
      behaviour: 'a cloud management agent polling for commands every 20 s, 150-byte answers',
      executable: '/opt/amazon/ssm/amazon-ssm-agent',
      ...custom,
      runs: [agent(20000, 10, cycles(20000), target('GET', 0, LONG.api, 80, '/messages?bytes=150'))],
      delayMs: 8500,
    },
    {
      name: 'grafana',
      label: 'benign',
      behaviour: 'Grafana refreshing a four-panel dashboard every 30 s (5 KiB query answers)',
      executable: '/opt/grafana/bin/grafana-server',
      ...custom,
      runs: [
        agent(
          30000,
          0,
          cycles(30000),
          ...[0, 1, 2, 3].map((i) =>
            target('GET', 0, LONG.metrics, 9090, `/api/v1/query_range?panel=${i}&bytes=5000`),
          ),
        ),
      ],
      delayMs: 9000,
    },
    {
      name: 'chrome',
      label: 'benign',
      behaviour:
        'a browser: page loads at random (mean 45 s apart) of 10 assets of 48 KiB and an analytics POST (204)',
      executable: '/opt/google/chrome/chrome',
      ...custom,
      runs: [
        agent(
          45000,
          -1,
          cycles(45000) * 2,
          ...Array.from({ length: 10 }, (_, i) => target('GET', 0, LONG.cdn, 80, `/asset/page-${i}.js`)),
          target('POST', 700, LONG.api, 80, '/collect?status=204'),
        ),
      ],
      delayMs: 9500,
    },
    {
      name: 'slack',
      label: 'benign',
      behaviour:
        'a chat client syncing at random (mean 30 s): an 800-byte API answer and a metrics POST (204)',
      executable: '/opt/Slack/slack',
      ...custom,
      runs: [
        agent(
          30000,
          -1,
          cycles(30000) * 2,
          target('GET', 0, LONG.api, 80, '/api/client.counts?bytes=800'),
          target('POST', 400, LONG.api, 80, '/api/metrics?status=204'),
        ),
      ],
      delayMs: 10000,
    },
    // In-house applications and scripts under /opt and /usr/local.
    {
      name: 'java-app',
      label: 'benign',
      behaviour: 'a Java service calling an external API at random (mean 5 s apart), 3 KiB answers',
      executable: '/opt/app/jre/bin/java',
      ...custom,
      runs: [agent(5000, -1, cycles(5000) * 2, target('GET', 0, LONG.api, 80, '/v2/rates?bytes=3000'))],
      delayMs: 10500,
    },
    {
      name: 'python-app',
      label: 'benign',
      behaviour:
        'a Python worker posting orders to a payment API at random (mean 8 s apart), 1.5 KiB answers',
      executable: '/opt/app/venv/bin/python3',
      ...custom,
      runs: [agent(8000, -1, cycles(8000) * 2, target('POST', 800, LONG.api, 80, '/v1/charges?bytes=1500'))],
      delayMs: 11000,
    },
    {
      name: 'queue-poller',
      label: 'benign',
      behaviour: 'a Node.js worker polling a job queue every 20 s, usually empty (2-byte answers)',
      executable: '/opt/app/node/bin/node',
      ...custom,
      runs: [agent(20000, 20, cycles(20000), target('GET', 0, LONG.api, 80, '/queue/jobs?bytes=2'))],
      delayMs: 11500,
    },
    {
      name: 'npm-install',
      label: 'benign',
      behaviour: 'a package installer every 10 min: 8 metadata documents (6 KiB) and 8 tarballs (200 KiB)',
      executable: '/opt/app/node/bin/npm',
      ...custom,
      runs: [
        agent(
          600000,
          0,
          cycles(600000) + 1,
          ...Array.from({ length: 8 }, (_, i) =>
            target('GET', 0, LONG.repo, 80, `/registry/pkg-${i}?bytes=6000`),
          ),
          ...Array.from({ length: 8 }, (_, i) =>
            target('GET', 0, LONG.repo, 80, `/registry/pkg-${i}.tgz?bytes=200000`),
          ),
        ),
      ],
      delayMs: 12000,
    },
    {
      name: 'webhook-relay',
      label: 'benign',
      behaviour: 'an in-house relay posting events (1 to 4 KiB) at random (mean 20 s apart), 20-byte answers',
      executable: '/opt/acme/bin/webhook-relay',
      ...custom,
      runs: [
        agent(
          20000,
          -1,
          cycles(20000) * 2,
          target('POST', '1000-4000', LONG.api, 80, '/hooks/events?bytes=20'),
        ),
      ],
      delayMs: 12500,
    },
    {
      name: 'backup-uploader',
      label: 'benign',
      behaviour: 'a backup tool uploading 256 KiB every 5 min, 30-byte answers',
      executable: '/opt/backup/bin/uploader',
      ...custom,
      runs: [
        agent(300000, 0, cycles(300000) + 1, target('PUT', 262144, LONG.repo, 80, '/backups/chunk?bytes=30')),
      ],
      delayMs: 13000,
    },
    {
      name: 'artifact-fetch',
      label: 'benign',
      behaviour: 'an in-house deploy tool fetching three 512 KiB artifacts every 2 min',
      executable: '/opt/ci/bin/artifact-fetch',
      ...custom,
      runs: [
        agent(
          120000,
          0,
          cycles(120000),
          ...[0, 1, 2].map((i) =>
            target('GET', 0, LONG.repo, 80, `/artifacts/release-${i}.tar.gz?bytes=524288`),
          ),
        ),
      ],
      delayMs: 13500,
    },
    {
      name: 'update-check',
      label: 'benign',
      behaviour: 'an update checker fetching a 400-byte version document every 10 min',
      executable: '/opt/acme/bin/update-check',
      ...custom,
      runs: [agent(600000, 0, cycles(600000) + 1, target('GET', 0, LONG.api, 80, '/version.json?bytes=400'))],
      delayMs: 14000,
    },
    {
      name: 'licensed',
      label: 'benign',
      behaviour: 'a licence daemon checking in every 5 min, 200-byte answers',
      executable: '/opt/acme/bin/licensed',
      ...custom,
      runs: [
        agent(300000, 0, cycles(300000) + 1, target('POST', 300, LONG.api, 80, '/licence/check?bytes=200')),
      ],
      delayMs: 14500,
    },
    {
      name: 'crash-reporter',
      label: 'benign',
      behaviour: 'a crash reporter uploading 50 KiB reports at random (mean 10 min apart), 204 answers',
      executable: '/opt/acme/bin/crash-reporter',
      ...custom,
      runs: [agent(600000, -1, 10, target('POST', 50000, LONG.api, 80, '/crash?status=204'))],
      delayMs: 15000,
    },
    {
      name: 'timesync',
      label: 'benign',
      behaviour: 'an HTTP time check every 64 s, 60-byte answers',
      executable: '/opt/acme/bin/timesync',
      ...custom,
      runs: [agent(64000, 0, cycles(64000), target('GET', 0, LONG.api, 80, '/time?bytes=60'))],
      delayMs: 15500,
    },
    // Cron-like jobs: a new process every minute.
    {
      name: 'inventory-sync',
      label: 'benign',
      behaviour:
        'a cron job every minute: fetches a 2 KiB configuration, posts a 1 KiB report (30-byte answer)',
      executable: '/opt/acme/bin/inventory-sync',
      ...custom,
      runs: every(
        60000,
        agent(
          0,
          0,
          1,
          target('GET', 0, LONG.api, 80, '/config?bytes=2048'),
          target('POST', 1000, LONG.api, 80, '/inventory?bytes=30'),
        ),
      ),
      everyMs: 60000,
      delayMs: 16000,
    },
    {
      name: 'push-metrics',
      label: 'benign',
      behaviour: 'a cron job every minute posting one metrics sample, 204 answers',
      executable: '/usr/local/bin/push-metrics',
      ...custom,
      runs: every(60000, agent(0, 0, 1, target('POST', 500, LONG.intake, 80, '/metrics/job?status=204'))),
      everyMs: 60000,
      delayMs: 16500,
    },
    {
      name: 'check-http',
      label: 'benign',
      behaviour: 'a monitoring plugin started every minute checking three pages (1.5 KiB)',
      executable: '/opt/nagios/libexec/check_http',
      ...custom,
      runs: every(
        60000,
        agent(0, 0, 1, ...[8080, 8081, 8082].map((p) => target('GET', 0, LONG.services, p, '/?bytes=1500'))),
      ),
      everyMs: 60000,
      delayMs: 17000,
    },
    {
      name: 'cert-check',
      label: 'benign',
      behaviour: 'a cron job every minute fetching an 80-byte status',
      executable: '/opt/acme/bin/cert-check',
      ...custom,
      runs: every(60000, agent(0, 0, 1, target('GET', 0, LONG.services, 8500, '/cert/status?bytes=80'))),
      everyMs: 60000,
      delayMs: 17500,
    },
    {
      name: 'ip-check',
      label: 'benign',
      behaviour:
        'a dynamic-DNS style job every 5 min: asks for the public address (20 bytes) and updates a record',
      executable: '/usr/local/sbin/ddns-update',
      ...custom,
      runs: every(
        300000,
        agent(
          0,
          0,
          1,
          target('GET', 0, LONG.api, 80, '/ip?bytes=20'),
          target('POST', 200, LONG.api, 80, '/nic/update?bytes=30'),
        ),
      ),
      everyMs: 300000,
      delayMs: 18000,
    },
  ];
  return actors;
}

/** A scenario: its actors, and where it runs when it must not meet a concurrent short run. */
interface Scenario {
  readonly description: string;
  readonly durationS: number;
  readonly actors: (d: number) => Actor[];
  /** Default: TEST-NET-3 (`egressguard-scen`). */
  readonly network?: Network;
  /** Audit rule keys; with `own` the rules also match only the generator's children. */
  readonly audit?: { readonly keys: { readonly connect: string; readonly exec: string } };
  /** Staging folder for the scripts (default /run/egressguard-scenario). */
  readonly stage?: string;
  /** Loopback port of the forward proxy (default 3128). */
  readonly proxyPort?: number;
  /** Save the captures gzip-compressed. */
  readonly gzip?: boolean;
  /** Run only when named on the command line. */
  readonly onlyWhenNamed?: boolean;
  /**
   * How the evaluation judges it: `after_learning` (a steady-state host) replays a learning day made from the
   * recording before it (see lib/learning.ts). Default: fresh.
   */
  readonly judge?: 'fresh' | 'after_learning';
  /** Listeners of the servers, ADDRESS:PORT. */
  readonly listeners: readonly string[];
}

const SHORT_LISTENERS = [
  `${SERVERS.repo}:80`,
  `${SERVERS.repo}:8080`,
  `${SERVERS.cdn}:80`,
  `${SERVERS.c2}:80`,
  `${SERVERS.c2}:8080`,
];

const SCENARIOS: Record<string, Scenario> = {
  'benign-long': {
    description:
      'A long benign recording at real pace: about forty programs a server or workstation runs (package downloads, ' +
      'a metrics scraper, log shippers, health checkers, CI agents, artifact fetches, browsers, a forward proxy, ' +
      'cron-like jobs, vendor and in-house programs in /opt), nothing malicious.',
    durationS: 2100,
    actors: (d) => longBackground(d),
    network: TEST_NET_2,
    audit: { keys: { connect: 'egressguard_bglong_connect', exec: 'egressguard_bglong_exec' } },
    stage: LONG_STAGE,
    proxyPort: 3129,
    gzip: true,
    onlyWhenNamed: true,
    judge: 'after_learning',
    listeners: [
      `${LONG.repo}:80`,
      `${LONG.cdn}:80`,
      `${LONG.metrics}:9100`,
      `${LONG.metrics}:9090`,
      `${LONG.metrics}:8080`,
      `${LONG.intake}:80`,
      `${LONG.intake}:3100`,
      `${LONG.intake}:4318`,
      `${LONG.intake}:9200`,
      `${LONG.api}:80`,
      `${LONG.api}:8200`,
      `${LONG.services}:8080`,
      `${LONG.services}:8081`,
      `${LONG.services}:8082`,
      `${LONG.services}:8500`,
    ],
  },
  benign: {
    listeners: SHORT_LISTENERS,
    description:
      'Only benign traffic: package downloads, health polling, an agent, browser bursts, a forward proxy.',
    durationS: 60,
    actors: (d) => background(d),
  },
  flood: {
    listeners: SHORT_LISTENERS,
    description: 'A hidden implant in /tmp floods a server with requests answered by "ok".',
    durationS: 60,
    actors: (d) => [
      ...background(d),
      {
        name: 'flood-implant',
        label: 'malicious',
        behaviour: `flood: ${Math.round((d * 20) / 3)} requests 100 ms apart, 2-byte answers`,
        executable: '/tmp/.X11-cache/kworkerd',
        copyOf: '/usr/bin/perl',
        runs: [perl('get', SERVERS.c2, 80, '/ok', Math.round((d * 20) / 3), 100)],
      },
    ],
  },
  beacon: {
    listeners: SHORT_LISTENERS,
    description: 'An implant in /dev/shm beacons every 3 s (10% jitter) and gets 204 No Content.',
    durationS: 75,
    actors: (d) => [
      ...background(d),
      {
        name: 'beacon-implant',
        label: 'malicious',
        behaviour: 'beacon every 3 s ±10%, 204 answers',
        executable: '/dev/shm/.dbus-update',
        copyOf: '/usr/bin/perl',
        runs: [perl('get', SERVERS.c2, 8080, '/beacon', 24, 3000, 10)],
      },
    ],
  },
  'push-out': {
    listeners: SHORT_LISTENERS,
    description: 'An implant in a /var/tmp directory pushes 16 KiB POST bodies out and gets "ok" back.',
    durationS: 60,
    actors: (d) => [
      ...background(d),
      {
        name: 'push-implant',
        label: 'malicious',
        behaviour: 'push-out: 25 POSTs of 16 KiB, 2 s apart, "ok" answers',
        executable: '/var/tmp/systemd-private-cache/updater',
        copyOf: '/usr/bin/perl',
        runs: [perl('post', SERVERS.c2, 80, '/upload', 25, 2000, 16384)],
      },
    ],
  },
  'failing-implant': {
    listeners: SHORT_LISTENERS,
    description: 'A hidden implant whose home is gone: every connection is refused.',
    durationS: 60,
    actors: (d) => [
      ...background(d),
      {
        name: 'failing-implant',
        label: 'malicious',
        behaviour: 'connection attempts every 1.5 s to an address with no listener',
        executable: '/tmp/.ssh-agent-cache/ssh-agent',
        copyOf: '/usr/bin/perl',
        runs: [perl('get', SERVERS.dead, 80, '/', 40, 1500)],
      },
    ],
  },
};

function startProcess(executable: string, args: readonly string[]): ChildProcess {
  const child = spawn(executable, args, { stdio: 'ignore', cwd: '/' });
  child.on('error', () => undefined);
  return child;
}

async function runScenario(
  name: string,
  outRoot: string,
  durationOverrideS: number | undefined,
): Promise<void> {
  const scenario = SCENARIOS[name];
  if (!scenario) throw new Error(`unknown scenario ${name} (known: ${Object.keys(SCENARIOS).join(', ')})`);
  const outDir = join(outRoot, name);
  const durationS = durationOverrideS ?? scenario.durationS;
  mkdirSync(outDir, { recursive: true });
  process.stderr.write(`scenario ${name}: ${scenario.description}\n`);

  const net = scenario.network ?? TEST_NET_3;
  const stage = scenario.stage ?? STAGE;
  const proxyPort = scenario.proxyPort ?? 3128;
  const long = scenario.network !== undefined;
  mkdirSync(stage, { recursive: true });
  copyFileSync(join(here, 'programs', 'client.pl'), join(stage, 'client.pl'));
  copyFileSync(join(here, 'programs', 'proxy.pl'), join(stage, 'proxy.pl'));
  copyFileSync(join(here, 'programs', 'agent.pl'), join(stage, 'agent.pl'));
  setupNetns(net);
  const servers = spawn(
    'ip',
    [
      'netns',
      'exec',
      net.netns,
      process.execPath,
      join(here, 'programs', 'server.mjs'),
      ...scenario.listeners,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const proxy = spawn('/usr/bin/perl', [join(stage, 'proxy.pl'), `127.0.0.1:${proxyPort}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // The pids of the scenario's actors, added as each starts: a long recording cuts its captures down as they come.
  const livePids = new Set<number>(proxy.pid === undefined ? [] : [proxy.pid]);
  const placed: string[] = [];
  const placedDirs: string[] = [];
  const children: ChildProcess[] = [servers, proxy];
  try {
    await Promise.all(
      [servers, proxy].map((c) => new Promise<void>((resolve) => c.stdout.once('data', () => resolve()))),
    );

    const ss = new SsPoller(200, long ? livePids : undefined);
    // Rules of its own (keys, and only this generator's children, first in the list) when a short run may start
    // and end meanwhile: neither removes nor tags the other's events.
    const audit = AuditCapture.available()
      ? new AuditCapture(scenario.audit ? { keys: scenario.audit.keys, ppid: process.pid } : {})
      : undefined;
    const tracer = TcpLifeTracer.available() ? new TcpLifeTracer(long ? livePids : undefined) : undefined;
    audit?.start();
    await tracer?.start();
    ss.start();
    const actors = scenario.actors(durationS);
    if (!long)
      actors.push({
        name: 'proxied-client',
        label: 'benign',
        behaviour: 'a client fetching packages through the forward proxy on loopback (internal traffic)',
        executable: '/usr/bin/curl',
        runs: Array.from({ length: Math.floor(durationS / 6) }, (_, i) => [
          '-s',
          '-o',
          '/dev/null',
          '-x',
          'http://127.0.0.1:3128',
          `http://${SERVERS.repo}/pool/main/proxied-${i}.deb`,
        ]),
        everyMs: 6000,
      });
    const records: ActorRecord[] = [
      {
        name: 'forward-proxy',
        label: 'benign',
        behaviour:
          'a forward HTTP proxy relaying package downloads (many outbound connections, large answers)',
        executable: '/usr/bin/perl',
        pids: [proxy.pid!],
        firstStartMs: Date.now(),
      },
    ];
    for (const actor of actors)
      if (actor.copyOf && existsSync(actor.executable))
        throw new Error(`refusing to run: ${actor.executable} exists and would be overwritten`);
    const pending: Promise<void>[] = [];
    for (const actor of actors) {
      if (actor.copyOf) {
        // mkdirSync returns the first directory it had to create: remove exactly that afterwards, nothing older.
        const created = mkdirSync(dirname(actor.executable), { recursive: true });
        if (created) placedDirs.push(created);
        copyFileSync(actor.copyOf, actor.executable);
        chmodSync(actor.executable, 0o755);
        placed.push(actor.executable);
      }
      const record: ActorRecord = {
        name: actor.name,
        label: actor.label,
        behaviour: actor.behaviour,
        executable: actor.executable,
        pids: [],
        firstStartMs: 0,
      };
      records.push(record);
      pending.push(
        (async () => {
          if (actor.delayMs) await sleep(actor.delayMs);
          for (const [i, args] of actor.runs.entries()) {
            if (i > 0 && actor.everyMs) await sleep(actor.everyMs);
            const child = startProcess(actor.executable, args);
            children.push(child);
            if (child.pid !== undefined) {
              record.pids.push(child.pid);
              livePids.add(child.pid);
            }
            if (record.firstStartMs === 0) record.firstStartMs = Date.now();
          }
        })(),
      );
    }
    await Promise.all(pending);
    // Let the last processes finish their requests, then give the sensors a moment to see the closes. A process
    // that could not be started (no pid: it emitted `error`) never emits `exit`; one still running a minute after
    // the scenario's end is left to the SIGTERM below rather than waited for.
    const running = children.filter(
      (c) =>
        c !== servers && c !== proxy && c.pid !== undefined && c.exitCode === null && c.signalCode === null,
    );
    const deadline = new AbortController();
    await Promise.race([
      Promise.all(running.map((c) => new Promise((r) => c.once('exit', r)))),
      sleep(60_000, undefined, { signal: deadline.signal }).catch(() => undefined),
    ]);
    deadline.abort();
    await sleep(1500);
    await ss.stop();
    await tracer?.stop();
    audit?.stop();

    const endMs = Date.now();
    const pids = new Set(records.flatMap((r) => r.pids));
    const gz = scenario.gzip ? '.gz' : '';
    save(join(outDir, `ss.txt${gz}`), ss.text(pids));
    if (audit) {
      const capture = audit.text(pids);
      save(join(outDir, `auditd.log${gz}`), capture);
      save(join(outDir, `auditd-exec.log${gz}`), audit.execOnly(capture));
    }
    if (tracer) save(join(outDir, `tcplife.csv${gz}`), tracer.text(pids));
    const labels = {
      scenario: name,
      description: scenario.description,
      ...(scenario.judge ? { evaluation: { judge: scenario.judge } } : {}),
      host: hostname(),
      sensors: {
        ss: `ss -tinpH every 200 ms (${ss.polls} polls)`,
        auditd: audit ? 'connect and execve rules' : 'not available',
        tcplife: tracer ? 'programs/tcplife.bt under bpftrace' : 'not available',
      },
      network: { netns: net.netns, hostIf: net.hostIf, hostAddr: net.hostAddr },
      servers: net.servers,
      durationS,
      endMs,
      actors: records,
    };
    writeFileSync(join(outDir, 'labels.json'), `${JSON.stringify(labels, null, 2)}\n`);
    process.stderr.write(`scenario ${name}: ${pids.size} processes, saved in ${outDir}\n`);
  } finally {
    for (const child of children)
      if (child.exitCode === null && child.pid !== undefined) child.kill('SIGTERM');
    for (const path of placed) rmSync(path, { force: true });
    for (const dir of placedDirs) rmSync(dir, { recursive: true, force: true });
    teardownNetns(net);
    rmSync(stage, { recursive: true, force: true });
  }
}

if (process.getuid?.() !== 0 || process.platform !== 'linux') {
  process.stderr.write('generate.ts needs root on Linux (network namespace, auditd, bpftrace)\n');
  process.exit(2);
}
const { values, positionals } = parseArgs({
  options: { out: { type: 'string' }, 'duration-s': { type: 'string' } },
  allowPositionals: true,
});
const outRoot = values.out ?? here;
const duration = values['duration-s'] === undefined ? undefined : Number(values['duration-s']);
if (duration !== undefined && !(duration >= 6))
  throw new Error('--duration-s must be a number of seconds >= 6');
for (const name of positionals.length > 0
  ? positionals
  : Object.keys(SCENARIOS).filter((n) => !SCENARIOS[n].onlyWhenNamed))
  await runScenario(name, outRoot, duration);

/**
 * Deterministic synthetic replay input for the root benchmark: OTLP JSON lines, one `ExportLogsServiceRequest`
 * of `--per-request` records per line (as the OpenTelemetry Collector's file exporter writes a batch), holding
 * `egressguard.connection` records from `--hosts` hosts over `--hours` hours of event time.
 *
 * What the input looks like, and why:
 * - Hosts have roles (web, database, build, Kubernetes node, workstation, proxy) and each role its own set of
 *   processes: package managers, monitoring agents, container runtimes, browsers, language runtimes, a proxy.
 *   Each host's resource is one shared object, so each request carries one `ResourceLogs` per host present.
 * - A few hosts also run implant-like processes from `/tmp`, `/var/tmp` and `/dev/shm`: a regular beacon, a
 *   flood of failing attempts, a push-out of data, each with little data back.
 * - Every process is a stream of connections with its own rate (Poisson arrivals) or, for beacons, a fixed
 *   interval with jitter; all streams are merged in order of the time the sensor observed them. Event time is
 *   observed time minus a sensor delay (5 ms to 2 s), so event times arrive in order with some small disorder.
 * - Destinations mix internal (RFC 1918) and external addresses, ports 443/80/8080 and others; outcomes are mostly
 *   completed, some failed or still open; bytes come from the sensor: hosts on auditd carry none, and a few
 *   connections of the other sensors lack them too (missing means unknown, never zero).
 *
 * The output depends only on the flags: the same flags give the same bytes. It streams: memory stays at one request.
 *
 *   node --experimental-strip-types --conditions=egressguard-source bench/generate.ts \
 *     [--records 1000000] [--seed 1] [--hosts 50] [--hours 4] [--per-request 1000] [--out FILE]
 *
 * Without `--out` the file is written in the system's temporary directory; its path is printed on stdout.
 */
import { once } from 'node:events';
import { createWriteStream, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { encodeLogsJson } from '@egressguard/otlp';
import {
  BytesKind,
  ConnectionAttr,
  EventName,
  HttpAttr,
  NetworkAttr,
  Outcome,
  PipelineRecord,
  ProcessAttr,
  ProvenanceAttr,
  ResourceAttr,
  createResource,
  msToHrTime,
  type RecordAttributes,
  type RecordResource,
  type RecordScope,
} from '@egressguard/schema';

/** Options of {@link generateReplay}. */
export interface GenerateOptions {
  readonly records: number;
  readonly seed: number;
  readonly hosts: number;
  readonly hours: number;
  readonly perRequest: number;
  readonly out: string;
}

/** What {@link generateReplay} wrote. */
export interface GenerateResult {
  readonly records: number;
  readonly lines: number;
  readonly bytes: number;
  readonly implantRecords: number;
  readonly firstMs: number;
  readonly lastMs: number;
}

/** The default file for these options in the temporary directory: every option is in the name (the cache key). */
export function defaultReplayFile(options: Omit<GenerateOptions, 'out'>): string {
  const { records, seed, hosts, hours, perRequest } = options;
  return join(
    tmpdir(),
    `egressguard-bench-replay-v1-r${records}-s${seed}-h${hosts}-t${hours}-p${perRequest}.jsonl`,
  );
}

/** The generator's defaults: 1,000,000 records, seed 1, 50 hosts, 4 hours, 1,000 records per request. */
export const GENERATE_DEFAULTS: Omit<GenerateOptions, 'out'> = {
  records: 1_000_000,
  seed: 1,
  hosts: 50,
  hours: 4,
  perRequest: 1000,
};

/** sfc32: a small, fast, well-distributed 32-bit PRNG; deterministic for a seed. */
function prng(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

type Random = () => number;

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];
const int = (random: Random, min: number, max: number): number =>
  min + Math.floor(random() * (max - min + 1));
/** Exponential variate with the given mean (Poisson inter-arrival times). */
const exponential = (random: Random, mean: number): number => -Math.log(1 - random()) * mean;
/** Log-normal variate around `median` (sizes of HTTP exchanges are heavy-tailed). */
function logNormal(random: Random, median: number, sigma: number): number {
  const u = Math.max(random(), 1e-12);
  const v = random();
  return Math.round(median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)));
}

/** How a process talks: where to, how often, how much. */
interface ProcessProfile {
  readonly path: string;
  readonly args: string;
  readonly user: number;
  /** Relative connection rate among benign processes (scaled to the requested total). */
  readonly weight: number;
  /** Destinations: `[address pool, port, server name]`. */
  readonly destinations: readonly (readonly [Pool, number, string?])[];
  readonly sentMedian: number;
  readonly receivedMedian: number;
  readonly failRate: number;
  /** Implants: a fixed absolute rate, not scaled with the total. */
  readonly implant?: { readonly intervalMs: number; readonly regular: boolean };
}

type Pool =
  | 'cdn'
  | 'debian'
  | 'pypi'
  | 'npm'
  | 'github'
  | 'cloud'
  | 'telemetry'
  | 'web'
  | 'internal-app'
  | 'internal-db'
  | 'internal-proxy'
  | 'internal-obs'
  | 'c2'
  | 'exfil';

/** Address pools; external ones are documentation and well-known public ranges, internal ones RFC 1918. */
const POOLS: Record<Pool, readonly string[]> = {
  cdn: ['151.101.2.132', '151.101.66.132', '104.16.132.229', '104.16.133.229', '13.224.214.18'],
  debian: ['151.101.130.132', '199.232.174.132', '146.75.118.132'],
  pypi: ['151.101.0.223', '151.101.64.223'],
  npm: ['104.16.24.35', '104.16.25.35', '104.16.26.35'],
  github: ['140.82.121.3', '140.82.121.4', '185.199.108.133', '185.199.109.133'],
  cloud: ['52.94.236.248', '54.239.28.85', '35.190.247.13', '142.250.185.78', '20.42.73.29'],
  telemetry: ['3.233.158.24', '3.233.158.25', '34.107.243.93'],
  web: ['93.184.215.14', '172.217.16.142', '157.240.9.35', '23.52.41.78', '198.51.100.20', '198.51.100.21'],
  'internal-app': ['10.20.1.11', '10.20.1.12', '10.20.1.13', '10.20.2.21', '10.20.2.22'],
  'internal-db': ['10.30.0.5', '10.30.0.6'],
  'internal-proxy': ['10.0.0.3', '172.16.0.3'],
  'internal-obs': ['10.40.0.10', '10.40.0.11', '192.168.10.5'],
  c2: ['203.0.113.7'],
  exfil: ['198.51.100.77', '198.51.100.78'],
};

const P = (p: Omit<ProcessProfile, 'user' | 'failRate'> & Partial<ProcessProfile>): ProcessProfile => ({
  user: 0,
  failRate: 0.02,
  ...p,
});

const APT = P({
  path: '/usr/lib/apt/methods/http',
  args: 'http',
  weight: 2,
  destinations: [
    ['debian', 80, 'deb.debian.org'],
    ['debian', 443, 'security.debian.org'],
  ],
  sentMedian: 380,
  receivedMedian: 90_000,
});
const UNATTENDED = P({
  path: '/usr/bin/python3.11',
  args: '/usr/bin/unattended-upgrade',
  weight: 0.5,
  destinations: [['debian', 443, 'deb.debian.org']],
  sentMedian: 420,
  receivedMedian: 30_000,
});
const SNAPD = P({
  path: '/usr/lib/snapd/snapd',
  args: '/usr/lib/snapd/snapd',
  weight: 0.4,
  destinations: [['cdn', 443, 'api.snapcraft.io']],
  sentMedian: 900,
  receivedMedian: 6_000,
});
const DATADOG = P({
  path: '/opt/datadog-agent/bin/agent/agent',
  args: '/opt/datadog-agent/bin/agent/agent run -p /opt/datadog-agent/run/agent.pid',
  user: 998,
  weight: 6,
  destinations: [['telemetry', 443, 'intake.logs.datadoghq.com']],
  sentMedian: 6_000,
  receivedMedian: 350,
  failRate: 0.005,
});
const OTELCOL = P({
  path: '/usr/bin/otelcol-contrib',
  args: '/usr/bin/otelcol-contrib --config=/etc/otelcol-contrib/config.yaml',
  user: 997,
  weight: 5,
  destinations: [
    ['internal-obs', 4318],
    ['internal-obs', 8080],
  ],
  sentMedian: 14_000,
  receivedMedian: 120,
  failRate: 0.01,
});
const NODE_EXPORTER = P({
  path: '/usr/bin/prometheus-node-exporter',
  args: '/usr/bin/prometheus-node-exporter --collector.systemd',
  user: 996,
  weight: 1,
  destinations: [['internal-obs', 9091]],
  sentMedian: 3_000,
  receivedMedian: 200,
});
const CONTAINERD = P({
  path: '/usr/bin/containerd',
  args: '/usr/bin/containerd',
  weight: 2,
  destinations: [
    ['cloud', 443, 'registry-1.docker.io'],
    ['cdn', 443, 'production.cloudflare.docker.com'],
  ],
  sentMedian: 1_200,
  receivedMedian: 250_000,
  failRate: 0.03,
});
const KUBELET = P({
  path: '/usr/bin/kubelet',
  args: '/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml',
  weight: 8,
  destinations: [['internal-app', 6443]],
  sentMedian: 1_500,
  receivedMedian: 4_000,
  failRate: 0.005,
});
const NGINX = P({
  path: '/usr/sbin/nginx',
  args: 'nginx: worker process',
  user: 33,
  weight: 14,
  destinations: [
    ['internal-app', 8080],
    ['internal-app', 8443],
  ],
  sentMedian: 1_100,
  receivedMedian: 18_000,
  failRate: 0.01,
});
const JAVA = P({
  path: '/usr/lib/jvm/java-17-openjdk-amd64/bin/java',
  args: 'java -Xmx2g -jar /opt/shop/shop-api.jar',
  user: 1001,
  weight: 10,
  destinations: [
    ['internal-db', 5432],
    ['internal-app', 8080],
    ['cloud', 443, 'payments.example.com'],
  ],
  sentMedian: 800,
  receivedMedian: 5_000,
  failRate: 0.01,
});
const APP = P({
  path: '/opt/app-2.4.1/bin/app',
  args: '/opt/app-2.4.1/bin/app serve --port 8080',
  user: 1001,
  weight: 6,
  destinations: [
    ['internal-db', 5432],
    ['cloud', 443, 's3.amazonaws.com'],
  ],
  sentMedian: 2_000,
  receivedMedian: 40_000,
});
const POSTGRES = P({
  path: '/usr/lib/postgresql/16/bin/postgres',
  args: 'postgres: 16/main: walsender replicator 10.30.0.6(40212)',
  user: 105,
  weight: 3,
  destinations: [
    ['internal-db', 5432],
    ['cloud', 443, 's3.amazonaws.com'],
  ],
  sentMedian: 64_000,
  receivedMedian: 300,
  failRate: 0.005,
});
const GIT = P({
  path: '/usr/lib/git-core/git-remote-https',
  args: 'git-remote-https origin https://github.com/example/shop.git',
  user: 1002,
  weight: 3,
  destinations: [['github', 443, 'github.com']],
  sentMedian: 1_800,
  receivedMedian: 120_000,
});
const NPM = P({
  path: '/usr/bin/node',
  args: 'node /usr/lib/node_modules/npm/bin/npm-cli.js ci',
  user: 1002,
  weight: 6,
  destinations: [
    ['npm', 443, 'registry.npmjs.org'],
    ['internal-proxy', 3128],
  ],
  sentMedian: 700,
  receivedMedian: 60_000,
  failRate: 0.03,
});
const PIP = P({
  path: '/usr/bin/python3.11',
  args: '/usr/bin/python3.11 -m pip install -r requirements.txt',
  user: 1002,
  weight: 3,
  destinations: [
    ['pypi', 443, 'pypi.org'],
    ['cdn', 443, 'files.pythonhosted.org'],
  ],
  sentMedian: 600,
  receivedMedian: 80_000,
});
const CURL = P({
  path: '/usr/bin/curl',
  args: 'curl -fsS http://10.20.1.11:8080/healthz',
  weight: 2,
  destinations: [
    ['internal-app', 8080],
    ['web', 80],
  ],
  sentMedian: 150,
  receivedMedian: 300,
  failRate: 0.05,
});
const CHROME = P({
  path: '/opt/google/chrome/chrome',
  args: '/opt/google/chrome/chrome --type=utility --utility-sub-type=network.mojom.NetworkService',
  user: 1000,
  weight: 18,
  destinations: [
    ['web', 443],
    ['cdn', 443],
    ['cloud', 443, 'www.googleapis.com'],
    ['web', 80],
  ],
  sentMedian: 1_400,
  receivedMedian: 25_000,
  failRate: 0.03,
});
const FIREFOX = P({
  path: '/usr/lib/firefox-esr/firefox-esr',
  args: '/usr/lib/firefox-esr/firefox-esr',
  user: 1000,
  weight: 10,
  destinations: [
    ['web', 443],
    ['cdn', 443],
  ],
  sentMedian: 1_300,
  receivedMedian: 22_000,
  failRate: 0.03,
});
const SQUID = P({
  path: '/usr/sbin/squid',
  args: '(squid-1) --kid squid-1 --foreground -sYC',
  user: 13,
  weight: 20,
  destinations: [
    ['web', 443],
    ['cdn', 443],
    ['debian', 80],
    ['npm', 443],
    ['web', 80],
  ],
  sentMedian: 900,
  receivedMedian: 30_000,
  failRate: 0.02,
});
const WGET = P({
  path: '/usr/bin/wget',
  args: 'wget -q https://github.com/example/tool/releases/download/v1.2.0/tool.tar.gz',
  user: 1000,
  weight: 0.5,
  destinations: [['github', 443, 'github.com']],
  sentMedian: 300,
  receivedMedian: 2_000_000,
});

/** Implants: a regular beacon, a failing flood, a push-out; little back in each case. */
const IMPLANTS: readonly ProcessProfile[] = [
  P({
    path: '/tmp/.x/kworkerd',
    args: '/tmp/.x/kworkerd -b',
    user: 33,
    weight: 0,
    destinations: [['c2', 80]],
    sentMedian: 700,
    receivedMedian: 45,
    failRate: 0.01,
    implant: { intervalMs: 30_000, regular: true },
  }),
  P({
    path: '/dev/shm/.cache/dbus-daemon',
    args: '/dev/shm/.cache/dbus-daemon --session',
    user: 1000,
    weight: 0,
    destinations: [
      ['c2', 443],
      ['c2', 8080],
    ],
    sentMedian: 400,
    receivedMedian: 0,
    failRate: 0.85,
    implant: { intervalMs: 2_000, regular: false },
  }),
  P({
    path: '/var/tmp/.font-unix/sshd',
    args: '/var/tmp/.font-unix/sshd -D',
    weight: 0,
    destinations: [
      ['exfil', 443],
      ['exfil', 8443],
    ],
    sentMedian: 250_000,
    receivedMedian: 60,
    implant: { intervalMs: 15_000, regular: false },
  }),
  P({
    path: '/tmp/systemd-private-3f1c/updater',
    args: './updater --interval 60',
    user: 1001,
    weight: 0,
    destinations: [['c2', 80]],
    sentMedian: 520,
    receivedMedian: 30,
    implant: { intervalMs: 60_000, regular: true },
  }),
];

const COMMON = [APT, UNATTENDED, DATADOG, OTELCOL, NODE_EXPORTER];

interface Role {
  readonly name: string;
  readonly prefix: string;
  readonly sensor: Sensor;
  readonly processes: readonly ProcessProfile[];
}

/** What a sensor carries: auditd sees connections but no bytes; the eBPF and Tetragon sensors carry acked bytes. */
interface Sensor {
  readonly format: string;
  readonly scope: RecordScope;
  readonly bytes: boolean;
}
const BPFTRACE: Sensor = {
  format: 'bpftrace',
  scope: { name: 'egressguard.sensor.bpftrace', version: '0.3.1' },
  bytes: true,
};
const TETRAGON: Sensor = {
  format: 'tetragon',
  scope: { name: 'egressguard.normalize', version: '0.1.0' },
  bytes: true,
};
const AUDITD: Sensor = {
  format: 'auditd',
  scope: { name: 'egressguard.normalize', version: '0.1.0' },
  bytes: false,
};

const ROLES: readonly Role[] = [
  { name: 'web', prefix: 'web', sensor: BPFTRACE, processes: [...COMMON, NGINX, CURL, SNAPD] },
  { name: 'app', prefix: 'app', sensor: BPFTRACE, processes: [...COMMON, JAVA, APP, CURL] },
  { name: 'database', prefix: 'db', sensor: AUDITD, processes: [...COMMON, POSTGRES] },
  {
    name: 'build',
    prefix: 'build',
    sensor: TETRAGON,
    processes: [...COMMON, GIT, NPM, PIP, CONTAINERD, WGET],
  },
  {
    name: 'kubernetes',
    prefix: 'k8s-node',
    sensor: TETRAGON,
    processes: [...COMMON, KUBELET, CONTAINERD, APP],
  },
  { name: 'workstation', prefix: 'ws', sensor: AUDITD, processes: [...COMMON, CHROME, FIREFOX, GIT, SNAPD] },
  { name: 'proxy', prefix: 'proxy', sensor: BPFTRACE, processes: [...COMMON, SQUID] },
];

/** One process on one host: a stream of connections. */
interface Stream {
  readonly host: HostInfo;
  readonly profile: ProcessProfile;
  readonly pid: number;
  readonly ppid: number;
  readonly meanMs: number;
  next: number;
}

interface HostInfo {
  readonly name: string;
  readonly resource: RecordResource;
  readonly sensor: Sensor;
  readonly address: string;
}

/** A binary min-heap of streams by their next observed time. */
class StreamHeap {
  readonly items: Stream[] = [];
  push(s: Stream): void {
    const a = this.items;
    a.push(s);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent].next <= a[i].next) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }
  /** Re-sorts the top after its `next` grew. */
  siftTop(): void {
    const a = this.items;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && a[l].next < a[m].next) m = l;
      if (r < a.length && a[r].next < a[m].next) m = r;
      if (m === i) return;
      [a[m], a[i]] = [a[i], a[m]];
      i = m;
    }
  }
}

/** Builds the hosts and their process streams. Implants run on a handful of hosts (about one in twelve). */
function buildStreams(random: Random, options: GenerateOptions, startMs: number): Stream[] {
  const spanMs = options.hours * 3_600_000;
  const hosts: { info: HostInfo; role: Role }[] = [];
  for (let h = 0; h < options.hosts; h++) {
    const role = ROLES[h % ROLES.length];
    const name = `${role.prefix}-${String(Math.floor(h / ROLES.length) + 1).padStart(2, '0')}`;
    const resource = createResource({
      [ResourceAttr.HOST_NAME]: name,
      [ResourceAttr.HOST_ID]: Array.from({ length: 32 }, () => int(random, 0, 15).toString(16)).join(''),
      [ResourceAttr.HOST_ROLE]: role.name,
      'os.type': 'linux',
      'host.arch': 'amd64',
    });
    const address = `10.${10 + (h % 4)}.${Math.floor(h / 4)}.${int(random, 10, 250)}`;
    hosts.push({ info: { name, resource, sensor: role.sensor, address }, role });
  }
  const benign: { host: HostInfo; profile: ProcessProfile }[] = [];
  for (const { info, role } of hosts)
    for (const profile of role.processes) benign.push({ host: info, profile });
  const implants: { host: HostInfo; profile: ProcessProfile }[] = [];
  for (let i = 0; i < IMPLANTS.length; i++) {
    const host = hosts[(7 + i * 11) % hosts.length].info;
    implants.push({ host, profile: IMPLANTS[i] });
  }
  const implantPerMs = implants.reduce((n, s) => n + 1 / s.profile.implant!.intervalMs, 0);
  const benignPerMs = Math.max(options.records / spanMs - implantPerMs, options.records / spanMs / 2);
  // Each host's volume varies (a busy proxy, a quiet database): a per-host factor between 0.3 and 3.
  const hostFactor = new Map(hosts.map(({ info }) => [info, 0.3 + 2.7 * random() ** 2]));
  const totalWeight = benign.reduce((n, s) => n + s.profile.weight * hostFactor.get(s.host)!, 0);
  const streams: Stream[] = [];
  const pidOf = () => int(random, 300, 4_000_000);
  for (const { host, profile } of benign) {
    const perMs = (benignPerMs * profile.weight * hostFactor.get(host)!) / totalWeight;
    const meanMs = 1 / perMs;
    streams.push({
      host,
      profile,
      pid: pidOf(),
      ppid: 1,
      meanMs,
      next: startMs + exponential(random, meanMs),
    });
  }
  for (const { host, profile } of implants) {
    const meanMs = profile.implant!.intervalMs;
    // Implants start at some point in the first half of the span, as a compromise would.
    const next = startMs + random() * spanMs * 0.5;
    streams.push({ host, profile, pid: pidOf(), ppid: pidOf(), meanMs, next });
  }
  return streams;
}

function nextGap(random: Random, s: Stream): number {
  const implant = s.profile.implant;
  if (implant?.regular) return implant.intervalMs * (0.97 + 0.06 * random());
  return exponential(random, s.meanMs);
}

function connection(random: Random, s: Stream, observedMs: number): PipelineRecord {
  const p = s.profile;
  const [pool, port, server] = pick(random, p.destinations);
  const outcomeDraw = random();
  const sensorBytes = s.host.sensor.bytes;
  const outcome = !sensorBytes
    ? outcomeDraw < p.failRate
      ? Outcome.FAILED
      : Outcome.UNKNOWN
    : outcomeDraw < p.failRate
      ? Outcome.FAILED
      : outcomeDraw < p.failRate + 0.01
        ? Outcome.OPEN
        : Outcome.COMPLETED;
  const attributes: RecordAttributes = {
    [ProcessAttr.PID]: s.pid,
    [ProcessAttr.PARENT_PID]: s.ppid,
    [ProcessAttr.EXECUTABLE_PATH]: p.path,
    [ProcessAttr.EXECUTABLE_NAME]: p.path.slice(p.path.lastIndexOf('/') + 1),
    [ProcessAttr.COMMAND_LINE]: p.args,
    [ProcessAttr.USER_ID]: p.user,
    [NetworkAttr.TRANSPORT]: 'tcp',
    [NetworkAttr.TYPE]: 'ipv4',
    [NetworkAttr.SOURCE_ADDRESS]: s.host.address,
    [NetworkAttr.SOURCE_PORT]: int(random, 32768, 60999),
    [NetworkAttr.DESTINATION_ADDRESS]: pick(random, POOLS[pool]),
    [NetworkAttr.DESTINATION_PORT]: port,
    [ConnectionAttr.OUTCOME]: outcome,
    [ProvenanceAttr.SOURCE_FORMAT]: s.host.sensor.format,
  };
  if (server !== undefined) attributes[NetworkAttr.SERVER_ADDRESS] = server;
  if (port === 80 || port === 8080) {
    attributes[NetworkAttr.PROTOCOL_NAME] = 'http';
    attributes[HttpAttr.PROTOCOL_INFERRED] = true;
  }
  // Bytes only where the sensor counts them, and not for a connection still open; 2% more lack them (a missed close).
  if (sensorBytes && outcome !== Outcome.OPEN && random() >= 0.02) {
    const failed = outcome === Outcome.FAILED;
    attributes[ConnectionAttr.BYTES_SENT] = failed ? 0 : Math.max(1, logNormal(random, p.sentMedian, 0.6));
    attributes[ConnectionAttr.BYTES_RECEIVED] = failed
      ? 0
      : Math.max(0, logNormal(random, p.receivedMedian, 0.8));
    attributes[ConnectionAttr.DURATION_MS] = failed
      ? int(random, 1, 3000)
      : Math.round(logNormal(random, 120, 1) * 10) / 10;
    attributes[ProvenanceAttr.BYTES_KIND] = BytesKind.ACKED;
  }
  // The sensor saw it up to 2 s after it started: event times arrive in order with small disorder.
  const delayMs = random() < 0.9 ? 5 + random() * 200 : 200 + random() * 1800;
  return new PipelineRecord({
    hrTime: msToHrTime(Math.round(observedMs - delayMs)),
    hrTimeObserved: msToHrTime(Math.round(observedMs)),
    eventName: EventName.CONNECTION,
    severityNumber: 9,
    attributes,
    resource: s.host.resource,
    instrumentationScope: s.host.sensor.scope,
  });
}

/** Writes the replay file (to a temporary name, renamed when complete, so a cache never holds half a file). */
export async function generateReplay(options: GenerateOptions): Promise<GenerateResult> {
  const random = prng(options.seed);
  const startMs = Date.UTC(2025, 10, 30, 6, 0, 0);
  const streams = buildStreams(random, options, startMs);
  const heap = new StreamHeap();
  for (const s of streams) heap.push(s);
  const partial = `${options.out}.${process.pid}.partial`;
  const out = createWriteStream(partial);
  let written = 0;
  let lines = 0;
  let bytes = 0;
  let implantRecords = 0;
  let lastMs = startMs;
  while (written < options.records) {
    const n = Math.min(options.perRequest, options.records - written);
    const batch: PipelineRecord[] = new Array<PipelineRecord>(n);
    for (let i = 0; i < n; i++) {
      const s = heap.items[0];
      batch[i] = connection(random, s, s.next);
      if (s.profile.implant) implantRecords++;
      lastMs = s.next;
      s.next += nextGap(random, s);
      heap.siftTop();
    }
    const line = encodeLogsJson(batch);
    const text = line.endsWith('\n') ? line : `${line}\n`;
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
    written += n;
    lines++;
  }
  out.end();
  await once(out, 'finish');
  renameSync(partial, options.out);
  return { records: written, lines, bytes, implantRecords, firstMs: startMs, lastMs };
}

function parseOptions(argv: string[]): GenerateOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      records: { type: 'string', default: String(GENERATE_DEFAULTS.records) },
      seed: { type: 'string', default: String(GENERATE_DEFAULTS.seed) },
      hosts: { type: 'string', default: String(GENERATE_DEFAULTS.hosts) },
      hours: { type: 'string', default: String(GENERATE_DEFAULTS.hours) },
      'per-request': { type: 'string', default: String(GENERATE_DEFAULTS.perRequest) },
      out: { type: 'string' },
    },
  });
  const num = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < min)
      throw new Error(`--${name} must be a number >= ${min}, got "${text}"`);
    return n;
  };
  const options = {
    records: Math.floor(num('records', values.records, 1)),
    seed: Math.floor(num('seed', values.seed, 0)),
    hosts: Math.floor(num('hosts', values.hosts, 1)),
    hours: num('hours', values.hours, 0.01),
    perRequest: Math.floor(num('per-request', values['per-request'], 1)),
  };
  return { ...options, out: values.out ?? defaultReplayFile(options) };
}

if (import.meta.filename === process.argv[1]) {
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const result = await generateReplay(options);
  const seconds = (performance.now() - started) / 1000;
  console.error(
    `generated ${result.records.toLocaleString('en-US')} connection records (${result.implantRecords.toLocaleString('en-US')} from implants) ` +
      `in ${result.lines.toLocaleString('en-US')} lines, ${(result.bytes / 2 ** 20).toFixed(1)} MiB, ` +
      `${new Date(result.firstMs).toISOString()} to ${new Date(result.lastMs).toISOString()}, in ${seconds.toFixed(1)} s`,
  );
  console.log(options.out);
}

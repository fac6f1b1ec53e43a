/**
 * Makes REAL telemetry for the evaluation: labelled benign and malicious processes with distinct executables talk
 * HTTP to servers in a network namespace of our own (see lib/netns.ts) while `ss`, auditd and the eBPF tracer
 * watch. Each scenario's captures are saved beside this file, cut down to the scenario's own processes, with a
 * labels.json that says which process is what.
 *
 * Run as root on Linux: node --experimental-strip-types test/scenarios/generate.ts [--out DIR] [--duration-s N]
 * [SCENARIO...] (default: every scenario, saved beside this file, each for its own duration).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import { NETNS, SERVERS, setupNetns, teardownNetns } from './lib/netns.ts';
import { AuditCapture, SsPoller, TcpLifeTracer, save } from './lib/sensors.ts';

const here = dirname(fileURLToPath(import.meta.url));
/**
 * The actors' scripts run from a neutral staging folder, so command lines in the captures name the product's
 * programs and nothing of the machine that recorded them.
 */
const STAGE = '/run/egressguard-scenario';
const CLIENT = join(STAGE, 'client.pl');
const PROXY = join(STAGE, 'proxy.pl');

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

const SCENARIOS: Record<string, { description: string; durationS: number; actors: (d: number) => Actor[] }> =
  {
    benign: {
      description:
        'Only benign traffic: package downloads, health polling, an agent, browser bursts, a forward proxy.',
      durationS: 60,
      actors: (d) => background(d),
    },
    flood: {
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

  mkdirSync(STAGE, { recursive: true });
  copyFileSync(join(here, 'programs', 'client.pl'), CLIENT);
  copyFileSync(join(here, 'programs', 'proxy.pl'), PROXY);
  setupNetns();
  const servers = spawn(
    'ip',
    [
      'netns',
      'exec',
      NETNS,
      process.execPath,
      join(here, 'programs', 'server.mjs'),
      `${SERVERS.repo}:80`,
      `${SERVERS.repo}:8080`,
      `${SERVERS.cdn}:80`,
      `${SERVERS.c2}:80`,
      `${SERVERS.c2}:8080`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const proxy = spawn('/usr/bin/perl', [PROXY, '127.0.0.1:3128'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const placed: string[] = [];
  const placedDirs: string[] = [];
  const children: ChildProcess[] = [servers, proxy];
  try {
    await Promise.all(
      [servers, proxy].map((c) => new Promise<void>((resolve) => c.stdout.once('data', () => resolve()))),
    );

    const ss = new SsPoller(200);
    const audit = AuditCapture.available() ? new AuditCapture() : undefined;
    const tracer = TcpLifeTracer.available() ? new TcpLifeTracer() : undefined;
    audit?.start();
    await tracer?.start();
    ss.start();

    const actors = scenario.actors(durationS);
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
          for (const [i, args] of actor.runs.entries()) {
            if (i > 0 && actor.everyMs) await sleep(actor.everyMs);
            const child = startProcess(actor.executable, args);
            children.push(child);
            if (child.pid !== undefined) record.pids.push(child.pid);
            if (record.firstStartMs === 0) record.firstStartMs = Date.now();
          }
        })(),
      );
    }
    await Promise.all(pending);
    // Let the last processes finish their requests, then give the sensors a moment to see the closes.
    await Promise.all(
      children
        .filter((c) => c !== servers && c !== proxy && c.exitCode === null)
        .map((c) => new Promise((r) => c.once('exit', r))),
    );
    await sleep(1500);
    await ss.stop();
    await tracer?.stop();
    audit?.stop();

    const pids = new Set(records.flatMap((r) => r.pids));
    save(join(outDir, 'ss.txt'), ss.text(pids));
    if (audit) {
      const capture = audit.text(pids);
      save(join(outDir, 'auditd.log'), capture);
      save(join(outDir, 'auditd-exec.log'), AuditCapture.execOnly(capture));
    }
    if (tracer) save(join(outDir, 'tcplife.csv'), tracer.text(pids));
    const labels = {
      scenario: name,
      description: scenario.description,
      host: hostname(),
      sensors: {
        ss: `ss -tinpH every 200 ms (${ss.polls} polls)`,
        auditd: audit ? 'connect and execve rules' : 'not available',
        tcplife: tracer ? 'programs/tcplife.bt under bpftrace' : 'not available',
      },
      servers: SERVERS,
      actors: records,
    };
    writeFileSync(join(outDir, 'labels.json'), `${JSON.stringify(labels, null, 2)}\n`);
    process.stderr.write(`scenario ${name}: ${pids.size} processes, saved in ${outDir}\n`);
  } finally {
    for (const child of children)
      if (child.exitCode === null && child.pid !== undefined) child.kill('SIGTERM');
    for (const path of placed) rmSync(path, { force: true });
    for (const dir of placedDirs) rmSync(dir, { recursive: true, force: true });
    teardownNetns();
    rmSync(STAGE, { recursive: true, force: true });
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
for (const name of positionals.length > 0 ? positionals : Object.keys(SCENARIOS))
  await runScenario(name, outRoot, duration);

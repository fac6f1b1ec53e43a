/**
 * The scenarios' stand-in for the internet: a network namespace of our own, joined to the host by a veth pair, with
 * server addresses from a documentation range (RFC 5737: TEST-NET-3 203.0.113.0/24 by default, TEST-NET-2
 * 198.51.100.0/24 for the long benign recording, so both can run at once). The addresses are on-link through the
 * veth, so traffic to them never leaves the machine; `verifyRoute` refuses to go on otherwise. Being outside every
 * private range, the addresses count as external to the default chain, as the internet would.
 */
import { execFileSync } from 'node:child_process';

/** One scenario network: the namespace, the veth pair's two ends, the host's address and the servers'. */
export interface Network {
  readonly netns: string;
  readonly hostIf: string;
  readonly nsIf: string;
  /** The host end's address; the prefix is /24. */
  readonly hostAddr: string;
  /** Server addresses by role. */
  readonly servers: Readonly<Record<string, string>>;
}

/** The short scenarios' network on TEST-NET-3. */
export const TEST_NET_3 = {
  netns: 'egressguard-scen',
  hostIf: 'egs-host',
  nsIf: 'egs-inet',
  hostAddr: '203.0.113.1',
  servers: {
    /** Package repository: large bodies. */
    repo: '203.0.113.10',
    /** CDN: medium assets. */
    cdn: '203.0.113.11',
    /** Command and control: tiny or empty answers. */
    c2: '203.0.113.12',
    /** An address with no listener: connections are refused. */
    dead: '203.0.113.13',
  },
} as const satisfies Network;

/** The long benign recording's network on TEST-NET-2, with names of its own so it never meets the short one. */
export const TEST_NET_2 = {
  netns: 'egressguard-bg',
  hostIf: 'egb-host',
  nsIf: 'egb-inet',
  hostAddr: '198.51.100.1',
  servers: {
    /** Package mirror and artifact store: large bodies. */
    repo: '198.51.100.10',
    /** CDN: browser assets. */
    cdn: '198.51.100.11',
    /** Metrics targets scraped by a Prometheus-style scraper. */
    metrics: '198.51.100.12',
    /** Log and metrics intake (Loki, Elasticsearch, OTLP, remote write): tiny answers. */
    intake: '198.51.100.13',
    /** SaaS APIs: CI job queues, secrets, licences, webhooks. */
    api: '198.51.100.14',
    /** Services whose health is checked. */
    services: '198.51.100.15',
  },
} as const satisfies Network;

/** The short scenarios' namespace name (kept for callers of the single-network version). */
export const NETNS = TEST_NET_3.netns;
/** The short scenarios' servers, by role. */
export const SERVERS = TEST_NET_3.servers;

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Creates the namespace and the link; throws (after cleaning up) when the route is not through our veth. */
export function setupNetns(net: Network = TEST_NET_3): void {
  teardownNetns(net);
  ip('netns', 'add', net.netns);
  ip('link', 'add', net.hostIf, 'type', 'veth', 'peer', 'name', net.nsIf);
  ip('link', 'set', net.nsIf, 'netns', net.netns);
  ip('addr', 'add', `${net.hostAddr}/24`, 'dev', net.hostIf);
  ip('link', 'set', net.hostIf, 'up');
  for (const addr of Object.values(net.servers))
    ip('netns', 'exec', net.netns, 'ip', 'addr', 'add', `${addr}/24`, 'dev', net.nsIf);
  ip('netns', 'exec', net.netns, 'ip', 'link', 'set', net.nsIf, 'up');
  ip('netns', 'exec', net.netns, 'ip', 'link', 'set', 'lo', 'up');
  verifyRoute(net);
}

/** Checks that every server address is reached through our veth and nothing else; returns the routes. */
export function verifyRoute(net: Network = TEST_NET_3): string[] {
  const routes: string[] = [];
  for (const addr of Object.values(net.servers)) {
    const route = ip('route', 'get', addr);
    if (!route.includes(`dev ${net.hostIf}`)) {
      teardownNetns(net);
      throw new Error(`refusing to run: ${addr} is not routed through ${net.hostIf} (${route.trim()})`);
    }
    routes.push(route.trim());
  }
  return routes;
}

/** Removes the namespace and the host side of the link; safe to call when they do not exist. */
export function teardownNetns(net: Network = TEST_NET_3): void {
  try {
    ip('netns', 'del', net.netns);
  } catch {
    // not there
  }
  try {
    ip('link', 'del', net.hostIf);
  } catch {
    // removed with the namespace
  }
}

/** A test network of its own, for tests that run beside the scenarios (their own names and address range). */
export interface TestNetworkSpec<S extends Record<string, string>> {
  readonly namespace: string;
  /** Host side of the veth pair (at most 15 characters). */
  readonly hostInterface: string;
  /** Namespace side of the veth pair (at most 15 characters). */
  readonly namespaceInterface: string;
  /** The host side's address; the servers' addresses are in its /24. */
  readonly hostAddress: string;
  readonly servers: S;
}

/** A test network that can be set up, checked and torn down. */
export interface TestNetwork<S extends Record<string, string>> {
  readonly spec: TestNetworkSpec<S>;
  /** Creates the namespace and the link; throws (after cleaning up) when the route is not through our veth. */
  setup(): void;
  /** Checks that every server address is reached through our veth and nothing else; returns the routes. */
  verifyRoute(): string[];
  /** Removes the namespace and the host side of the link; safe to call when they do not exist. */
  teardown(): void;
}

/** Binds {@link setupNetns}, {@link verifyRoute} and {@link teardownNetns} to one network. */
export function createTestNetwork<S extends Record<string, string>>(
  spec: TestNetworkSpec<S>,
): TestNetwork<S> {
  const net: Network = {
    netns: spec.namespace,
    hostIf: spec.hostInterface,
    nsIf: spec.namespaceInterface,
    hostAddr: spec.hostAddress,
    servers: spec.servers,
  };
  return {
    spec,
    setup: () => setupNetns(net),
    verifyRoute: () => verifyRoute(net),
    teardown: () => teardownNetns(net),
  };
}

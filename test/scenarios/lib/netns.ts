/**
 * The scenarios' stand-in for the internet: a network namespace of our own, joined to the host by a veth pair, with
 * server addresses from a documentation range (RFC 5737). The addresses are on-link through the veth, so traffic to
 * them never leaves the machine; `verifyRoute` refuses to go on otherwise. Being outside every private range, the
 * addresses count as external to the default chain, as the internet would.
 *
 * Tests that run at the same time each need their own namespace, veth names and address range:
 * {@link createTestNetwork} makes one; the scenarios' own is TEST-NET-3 (203.0.113.0/24).
 */
import { execFileSync } from 'node:child_process';

/** A test network: the namespace, the veth pair's two ends, the host side's address and the servers'. */
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

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A test network of its own. */
export function createTestNetwork<S extends Record<string, string>>(
  spec: TestNetworkSpec<S>,
): TestNetwork<S> {
  const network: TestNetwork<S> = {
    spec,
    setup() {
      network.teardown();
      ip('netns', 'add', spec.namespace);
      ip('link', 'add', spec.hostInterface, 'type', 'veth', 'peer', 'name', spec.namespaceInterface);
      ip('link', 'set', spec.namespaceInterface, 'netns', spec.namespace);
      ip('addr', 'add', `${spec.hostAddress}/24`, 'dev', spec.hostInterface);
      ip('link', 'set', spec.hostInterface, 'up');
      for (const addr of Object.values(spec.servers))
        ip(
          'netns',
          'exec',
          spec.namespace,
          'ip',
          'addr',
          'add',
          `${addr}/24`,
          'dev',
          spec.namespaceInterface,
        );
      ip('netns', 'exec', spec.namespace, 'ip', 'link', 'set', spec.namespaceInterface, 'up');
      ip('netns', 'exec', spec.namespace, 'ip', 'link', 'set', 'lo', 'up');
      network.verifyRoute();
    },
    verifyRoute() {
      const routes: string[] = [];
      for (const addr of Object.values(spec.servers)) {
        const route = ip('route', 'get', addr);
        if (!route.includes(`dev ${spec.hostInterface}`)) {
          network.teardown();
          throw new Error(
            `refusing to run: ${addr} is not routed through ${spec.hostInterface} (${route.trim()})`,
          );
        }
        routes.push(route.trim());
      }
      return routes;
    },
    teardown() {
      try {
        ip('netns', 'del', spec.namespace);
      } catch {
        // not there
      }
      try {
        ip('link', 'del', spec.hostInterface);
      } catch {
        // removed with the namespace
      }
    },
  };
  return network;
}

const SCENARIO_NETWORK = createTestNetwork({
  namespace: 'egressguard-scen',
  hostInterface: 'egs-host',
  namespaceInterface: 'egs-inet',
  hostAddress: '203.0.113.1',
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
});

/** The scenarios' namespace. */
export const NETNS = SCENARIO_NETWORK.spec.namespace;

/** The scenario's servers, by role. */
export const SERVERS = SCENARIO_NETWORK.spec.servers;

/** Creates the scenarios' namespace and link; throws (after cleaning up) when the route is not through our veth. */
export function setupNetns(): void {
  SCENARIO_NETWORK.setup();
}

/** Checks that every scenario server address is reached through our veth and nothing else. */
export function verifyRoute(): void {
  SCENARIO_NETWORK.verifyRoute();
}

/** Removes the scenarios' namespace and the host side of the link; safe to call when they do not exist. */
export function teardownNetns(): void {
  SCENARIO_NETWORK.teardown();
}

/**
 * The scenarios' stand-in for the internet: a network namespace of our own, joined to the host by a veth pair, with
 * server addresses from TEST-NET-3 (RFC 5737, 203.0.113.0/24, reserved for documentation). The addresses are
 * on-link through the veth, so traffic to them never leaves the machine; `verifyRoute` refuses to go on otherwise.
 * Being outside every private range, the addresses count as external to the default chain, as the internet would.
 */
import { execFileSync } from 'node:child_process';

export const NETNS = 'egressguard-scen';
const HOST_IF = 'egs-host';
const NS_IF = 'egs-inet';
const HOST_ADDR = '203.0.113.1';

/** The scenario's servers, by role. */
export const SERVERS = {
  /** Package repository: large bodies. */
  repo: '203.0.113.10',
  /** CDN: medium assets. */
  cdn: '203.0.113.11',
  /** Command and control: tiny or empty answers. */
  c2: '203.0.113.12',
  /** An address with no listener: connections are refused. */
  dead: '203.0.113.13',
} as const;

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Creates the namespace and the link; throws (after cleaning up) when the route is not through our veth. */
export function setupNetns(): void {
  teardownNetns();
  ip('netns', 'add', NETNS);
  ip('link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF);
  ip('link', 'set', NS_IF, 'netns', NETNS);
  ip('addr', 'add', `${HOST_ADDR}/24`, 'dev', HOST_IF);
  ip('link', 'set', HOST_IF, 'up');
  for (const addr of Object.values(SERVERS))
    ip('netns', 'exec', NETNS, 'ip', 'addr', 'add', `${addr}/24`, 'dev', NS_IF);
  ip('netns', 'exec', NETNS, 'ip', 'link', 'set', NS_IF, 'up');
  ip('netns', 'exec', NETNS, 'ip', 'link', 'set', 'lo', 'up');
  verifyRoute();
}

/** Checks that every server address is reached through our veth and nothing else. */
export function verifyRoute(): void {
  for (const addr of Object.values(SERVERS)) {
    const route = ip('route', 'get', addr);
    if (!route.includes(`dev ${HOST_IF}`)) {
      teardownNetns();
      throw new Error(`refusing to run: ${addr} is not routed through ${HOST_IF} (${route.trim()})`);
    }
  }
}

/** Removes the namespace and the host side of the link; safe to call when they do not exist. */
export function teardownNetns(): void {
  try {
    ip('netns', 'del', NETNS);
  } catch {
    // not there
  }
  try {
    ip('link', 'del', HOST_IF);
  } catch {
    // removed with the namespace
  }
}

/**
 * Reads a V8 CPU profile (`.cpuprofile`, written by `node --cpu-prof`) and sums self time by package and by
 * function, so that the bench can say where the chain's replay spends its CPU without a profiler's UI.
 *
 *   node --experimental-strip-types bench/cpu-profile.ts FILE.cpuprofile [TOP]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/**
 * One package's or function's summed amount, under the name of its unit (`ms`, `bytes`), and its share of the
 * total.
 */
export type FrameEntry<Unit extends string> = { readonly name: string } & { readonly [K in Unit]: number } & {
  readonly share: number;
};

/** Self time of one package or function. */
export type ProfileEntry = FrameEntry<'ms'>;

/** What a profile says: total sampled time, and self time by package and by function, largest first. */
export interface ProfileSummary {
  readonly totalMs: number;
  readonly byPackage: readonly ProfileEntry[];
  readonly byFunction: readonly ProfileEntry[];
}

/**
 * Where a frame's code lives: `@egressguard/<package>` for ours, the npm package for dependencies, `node:<module>`
 * for Node's own, or V8's name for what has no script (the garbage collector, idle, regular expressions).
 */
function packageOf(frame: ProfileNode['callFrame']): string {
  const url = frame.url;
  const ours = /\/packages\/([^/]+)\//.exec(url);
  if (ours && !url.includes('/node_modules/')) return `@egressguard/${ours[1]}`;
  const dependency = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (dependency) return dependency[1];
  // Node's TypeScript type stripping runs as WebAssembly while modules load.
  if (url.startsWith('wasm://')) return '(WebAssembly)';
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  if (url === '') {
    if (frame.functionName.startsWith('RegExp')) return '(regular expressions)';
    return frame.functionName || '(native code)';
  }
  return url.replace(/^.*\//, '');
}

/** A frame's function and where it is: `name package/path:line` for ours and dependencies. */
function functionOf(frame: ProfileNode['callFrame']): string {
  const where = frame.url.replace(/^.*\/(packages|node_modules)\//, '').replace(/^file:\/\/.*\//, '');
  return `${frame.functionName || '(anonymous)'} ${where}${where ? `:${frame.lineNumber + 1}` : ''}`;
}

/** Amounts of sampled frames (self time, bytes allocated) summed by where the frame's code lives and by function. */
export class FrameSums {
  total = 0;
  private readonly packages = new Map<string, number>();
  private readonly functions = new Map<string, number>();

  /** Adds `amount` to the frame's package and function. */
  add(frame: ProfileNode['callFrame'], amount: number): void {
    this.total += amount;
    const pkg = packageOf(frame);
    this.packages.set(pkg, (this.packages.get(pkg) ?? 0) + amount);
    const fn = functionOf(frame);
    this.functions.set(fn, (this.functions.get(fn) ?? 0) + amount);
  }

  /**
   * The `top` largest packages and functions, largest first, each amount divided by `divisor` and named `unit`
   * (self time in µs as `ms` divided by 1,000, say).
   */
  largest<Unit extends string>(
    top: number,
    unit: Unit,
    divisor = 1,
  ): { readonly byPackage: FrameEntry<Unit>[]; readonly byFunction: FrameEntry<Unit>[] } {
    const entries = (m: Map<string, number>) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(
          ([name, amount]) =>
            ({
              name,
              [unit]: amount / divisor,
              share: this.total > 0 ? amount / this.total : 0,
            }) as FrameEntry<Unit>,
        );
    return { byPackage: entries(this.packages), byFunction: entries(this.functions) };
  }
}

/** Summarises a `.cpuprofile` file: the `top` largest packages and functions by self time. */
export function summariseCpuProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const sums = new FrameSums();
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = frames.get(profile.samples[i]);
    if (frame) sums.add(frame, profile.timeDeltas[i] ?? 0);
  }
  return { totalMs: sums.total / 1000, ...sums.largest(top, 'ms', 1000) };
}

if (import.meta.main) {
  const [file, top] = process.argv.slice(2);
  if (file === undefined) throw new Error('usage: cpu-profile.ts FILE.cpuprofile [TOP]');
  const summary = summariseCpuProfile(file, Number(top ?? 15));
  const line = (e: ProfileEntry) =>
    `${e.ms.toFixed(0).padStart(8)} ms ${(100 * e.share).toFixed(1).padStart(5)}%  ${e.name}`;
  console.log(`sampled ${summary.totalMs.toFixed(0)} ms; self time by package:`);
  for (const e of summary.byPackage) console.log(line(e));
  console.log('by function:');
  for (const e of summary.byFunction) console.log(line(e));
}

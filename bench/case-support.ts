/**
 * What the bench cases share: the first lines of the input, the default configuration as the CLI parses it, and
 * the median of rounds.
 */
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

import { createProcessorRegistry, defaultConfigYaml, parseConfigText } from '@egressguard/cli';

/** The first `max` non-blank lines of a file. */
export async function readFirstLines(path: string, max: number): Promise<string[]> {
  const stream = createReadStream(path);
  const lines: string[] = [];
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    if (line.trim() !== '') lines.push(line);
    if (lines.length >= max) break;
  }
  stream.destroy();
  await once(stream, 'close');
  return lines;
}

/**
 * The embedded default configuration (the one `replay`, `run` and `watch` use), parsed without the environment and
 * without receivers or exporters: configuration loading is start-up, not throughput, so cases do it before timing.
 */
export function defaultChainConfig(): ReturnType<typeof parseConfigText> {
  return parseConfigText(defaultConfigYaml({}), {
    registry: createProcessorRegistry(),
    env: {},
    requireEnds: false,
  });
}

/** The median of a list of numbers (the upper one of an even list). */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

/**
 * Runs `replay()` as a library on the embedded default configuration, output collected as text.
 */
import { Writable } from 'node:stream';

import { createProcessorRegistry, defaultConfigYaml, parseConfigText, replay } from '../../src/index.ts';

/**
 * Replays `inputs` (`format`: `auto`, `otlp-json` or a sensor format; host `vm` for sensor lines) through the default
 * chain. What was written, the result, and the wall clock of the `replay()` call (configuration parsed before it).
 */
export async function replayWithDefaults(inputs: string[], format = 'auto', maxLineBytes?: number) {
  const config = parseConfigText(defaultConfigYaml({}), {
    registry: createProcessorRegistry(),
    env: {},
    requireEnds: false,
  });
  const chunks: string[] = [];
  const start = performance.now();
  const result = await replay({
    config,
    inputs,
    format,
    host: 'vm',
    ...(maxLineBytes !== undefined ? { maxLineBytes } : {}),
    output: new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        chunks.push(chunk.toString('utf8'));
        done();
      },
    }),
  });
  return { result, text: chunks.join(''), wallMs: performance.now() - start };
}

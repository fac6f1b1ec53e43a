/**
 * The embedded default configuration as a whole: the settings one processor takes from another's defaults stay in
 * step with them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { defaultConfigYaml } from '../../src/config/default-config.ts';
import { parseConfigText } from '../../src/config/load-config.ts';
import { createProcessorRegistry } from '../../src/processor-registry.ts';

interface AggregatorConfig {
  readonly interim: { readonly enabled: boolean; readonly min_connections: number };
}
interface Thresholds {
  readonly min_connections?: number;
  readonly min_failed_connections?: number;
}
interface DetectorConfig {
  readonly thresholds: Required<Thresholds>;
  readonly roles: Readonly<Record<string, { readonly thresholds: Thresholds }>>;
}

void describe('the default configuration', () => {
  void it('starts interim updates no later than the least connections any detector rule needs', () => {
    const config = parseConfigText(defaultConfigYaml({}), {
      registry: createProcessorRegistry(),
      env: {},
      requireEnds: false,
    });
    const aggregator = config.processors.get('http_flow_aggregator')!.config as AggregatorConfig;
    const detector = config.processors.get('ratio_detector')!.config as DetectorConfig;
    assert.equal(aggregator.interim.enabled, true);
    const least = Math.min(
      ...[detector.thresholds, ...Object.values(detector.roles).map((r) => r.thresholds)].flatMap((t) =>
        [t.min_connections, t.min_failed_connections].filter((n) => n !== undefined),
      ),
    );
    // Earlier would only make updates no rule can fire on; later would delay the detections they are for.
    assert.equal(aggregator.interim.min_connections, least);
  });
});

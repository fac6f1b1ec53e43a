import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { NoveltyAttr, NoveltyStatus, type RecordAttributes } from '@egressguard/schema';

import { ratioDetectorFactory } from '../../src/index.ts';
import { qualify, staysUnqualified, unqualifiedUntil } from '../../src/internal/qualification.ts';

const qualifyConfig = (qualifyOptions: Record<string, unknown> = {}) =>
  ratioDetectorFactory.config.parse({ qualify: qualifyOptions }).qualify;

function novelty(status: string, extra: { custom?: boolean; learning?: boolean } = {}): RecordAttributes {
  return {
    [NoveltyAttr.STATUS]: status,
    [NoveltyAttr.CUSTOM]: extra.custom ?? false,
    [NoveltyAttr.LEARNING]: extra.learning ?? false,
  };
}

/** Whether the process of `attrs` is unqualified under `options` and stays so for the rest of its window. */
const stays = (attrs: RecordAttributes, options: Record<string, unknown> = {}) => {
  const config = qualifyConfig(options);
  return staysUnqualified(qualify(attrs, config), config);
};

describe('staysUnqualified', () => {
  it('holds for allowlisted and known processes the rules do not judge', () => {
    assert.equal(stays(novelty(NoveltyStatus.ALLOWLISTED)), true);
    assert.equal(stays(novelty(NoveltyStatus.KNOWN)), true);
    assert.equal(
      stays(novelty(NoveltyStatus.KNOWN, { custom: true })),
      true,
      'custom does not count when known',
    );
    assert.equal(
      stays(novelty(NoveltyStatus.KNOWN, { learning: true })),
      true,
      'known in the learning period is known after it',
    );
  });

  it('does not hold for what qualifies or may come to', () => {
    assert.equal(stays(novelty(NoveltyStatus.NEW)), false, 'qualifies');
    assert.equal(stays(novelty(NoveltyStatus.RARE, { learning: true })), false, 'learning ends');
    assert.equal(stays({}), false, 'no status');
    assert.equal(stays(novelty(NoveltyStatus.ALLOWLISTED), { allowlisted: true }), false, 'qualifies');
    assert.equal(
      stays(novelty(NoveltyStatus.KNOWN), { statuses: ['known'] }),
      false,
      'known is judged: it qualifies',
    );
    assert.equal(
      stays(novelty(NoveltyStatus.KNOWN), { custom_known: true }),
      false,
      'whether a known executable is custom rests on package databases that can change',
    );
  });
});

describe('unqualifiedUntil', () => {
  const END = Date.UTC(2026, 0, 6);
  /** Until when `attrs` stays unqualified under `options`, with the learning period's end noted or not. */
  const until = (attrs: RecordAttributes, options: Record<string, unknown> = {}, learningEndMs?: number) => {
    const config = qualifyConfig(options);
    return unqualifiedUntil(qualify(attrs, config), config, learningEndMs);
  };

  it('is for good for what stays unqualified, whatever the learning period', () => {
    assert.equal(until(novelty(NoveltyStatus.ALLOWLISTED), {}, END), Number.POSITIVE_INFINITY);
    assert.equal(until(novelty(NoveltyStatus.KNOWN, { learning: true }), {}, END), Number.POSITIVE_INFINITY);
  });

  it('is the end of learning for what learning alone keeps out, when the novelty filter said when', () => {
    assert.equal(until(novelty(NoveltyStatus.RARE, { learning: true }), {}, END), END);
    assert.equal(
      until(novelty(NoveltyStatus.RARE, { learning: true, custom: true }), { custom: false }, END),
      END,
      'custom executables are not judged: custom does not count',
    );
    assert.equal(
      until(novelty(NoveltyStatus.RARE, { learning: true }), {}, undefined),
      undefined,
      'no end noted: the custom verdict may change',
    );
  });

  it('is nothing for what qualifies or is kept out for a reason that may change', () => {
    assert.equal(until(novelty(NoveltyStatus.RARE, { learning: true, custom: true }), {}, END), undefined);
    assert.equal(
      until(novelty(NoveltyStatus.RARE, { learning: true }), { during_learning: true }, END),
      undefined,
    );
    assert.equal(until(novelty(NoveltyStatus.NEW), {}, END), undefined);
    assert.equal(
      until(novelty(NoveltyStatus.RARE), { statuses: ['new'] }, END),
      undefined,
      'a rare status can change',
    );
    assert.equal(until({}, {}, END), undefined, 'no status');
  });
});

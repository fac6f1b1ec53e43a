import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { NoveltyAttr, NoveltyStatus, type RecordAttributes } from '@egressguard/schema';

import { ratioDetectorFactory } from '../../src/index.ts';
import { qualify, staysUnqualified } from '../../src/internal/qualification.ts';

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

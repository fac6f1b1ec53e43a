/**
 * Run by record.test.ts under --allow-natives-syntax: whether a maker's object stays a fast V8 object when it takes
 * 60 attributes after the maker's first objects held 5, without room and with room for 64. Prints the two answers.
 */
import { attributeDictionaryMaker } from '../../src/record.ts';
import { hasFastProperties } from '../../src/testing/index.ts';

function fastAfterFewFirst(make: () => Record<string, unknown>): boolean {
  const kept: object[] = [];
  for (let i = 0; i < 20; i++) {
    const o = make();
    for (let k = 0; k < 5; k++) o[`k.${k}`] = k;
    kept.push(o);
  }
  const o = make();
  for (let k = 0; k < 60; k++) o[`k.${k}`] = k;
  return hasFastProperties(o);
}

console.log(
  JSON.stringify([
    fastAfterFewFirst(attributeDictionaryMaker()),
    fastAfterFewFirst(attributeDictionaryMaker(64)),
  ]),
);

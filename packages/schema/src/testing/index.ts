/**
 * Test helpers of the schema: whether attribute dictionaries stay fast V8 objects (see `attributeDictionaryMaker`).
 * Packages above re-export them from their own testing entry.
 */
export { hasFastProperties, runNativesChild } from './v8-shape.ts';

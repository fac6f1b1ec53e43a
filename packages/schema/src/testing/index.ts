/**
 * Test helpers of the schema: whether attribute dictionaries stay fast V8 objects (see `attributeDictionaryMaker`), and
 * running a script in a Node child of its own.
 * Packages above re-export them from their own testing entry.
 */
export { runScriptChild } from './child.ts';
export { hasFastProperties, runNativesChild } from './v8-shape.ts';

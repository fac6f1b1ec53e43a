/**
 * Whether attribute dictionaries stay fast V8 objects: a property only V8's natives syntax can see. A test runs a
 * child script with {@link runNativesChild}; the child calls {@link hasFastProperties} and prints its findings as
 * one JSON line.
 */
import { runScriptChild } from './child.ts';

/**
 * Whether V8 holds `object` with fast properties rather than as a hash dictionary. Only in a process started with
 * `--allow-natives-syntax` (see {@link runNativesChild}); anywhere else it throws.
 */
export function hasFastProperties(object: object): boolean {
  return nativeHasFastProperties(object);
}

// The natives syntax cannot be written in TypeScript source; a function made at run time can use it, and is made
// only when first called, so that importing this module needs no flag.
let nativeHasFastProperties = (object: object): boolean => {
  if (!process.execArgv.includes('--allow-natives-syntax'))
    throw new Error('hasFastProperties needs --allow-natives-syntax: run the script with runNativesChild');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  nativeHasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;
  return nativeHasFastProperties(object);
};

/** Runs the TypeScript script `path` with `--allow-natives-syntax` and returns the JSON it prints. */
export function runNativesChild<T>(path: string): T {
  return runScriptChild<T>(path, ['--allow-natives-syntax']);
}

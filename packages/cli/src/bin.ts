#!/usr/bin/env node
/**
 * The `egressguard` executable.
 */
import { main } from './main.ts';
import { createProcessorRegistry } from './processor-registry.ts';

process.exitCode = await main(process.argv.slice(2), {
  registry: createProcessorRegistry(),
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
});

/**
 * Loads the configuration a command runs with: the file given with `--config`, or the embedded default chain.
 */
import { defaultConfigYaml } from '../config/default-config.ts';
import { loadConfigFile, parseConfigText, type ResolvedConfig } from '../config/load-config.ts';
import type { CommandIo } from './command.ts';

/** A loaded configuration and where it came from. */
export interface LoadedConfig {
  readonly config: ResolvedConfig;
  /** The file, or `undefined` for the embedded default. */
  readonly file: string | undefined;
}

/** Loads `file`, or the default configuration when `file` is undefined. Throws ConfigError. */
export function loadConfig(file: string | undefined, io: CommandIo, requireEnds: boolean): LoadedConfig {
  const options = { registry: io.registry, env: io.env, cwd: io.cwd, requireEnds };
  if (file === undefined) return { config: parseConfigText(defaultConfigYaml(io.env), options), file };
  return { config: loadConfigFile(file, options), file };
}

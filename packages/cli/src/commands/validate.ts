/**
 * `egressguard validate FILE`: checks a configuration file without running it; `--print-default` prints the
 * default configuration to start from.
 */
import { defaultConfigYaml } from '../config/default-config.ts';
import { checkConstruction } from '../runtime/pipelines.ts';
import { ExitCode, UsageError, type Command } from './command.ts';
import { loadConfig } from './load.ts';

/** The `validate` command. */
export const validateCommand: Command = {
  name: 'validate',
  summary: 'check a configuration file, or print the default one',
  help: `Usage: egressguard validate FILE
       egressguard validate --print-default

Checks FILE (YAML or JSON): every component's options against its schema, unknown
keys, \${env:NAME} references, and that the pipelines name defined components. Every
processor is also created once, which catches conflicts between options.
Prints "FILE: valid" and exits 0, or lists every problem by key path and exits 2.

Options:
  --print-default   print the default configuration (what run and replay use
                    without --config) for the current environment, and exit
  -h, --help        show this help
`,
  options: {
    'print-default': { type: 'boolean' },
  },
  async run(values, positionals, io) {
    if (values['print-default']) {
      if (positionals.length > 0) throw new UsageError('--print-default takes no FILE');
      io.stdout.write(defaultConfigYaml(io.env));
      return ExitCode.OK;
    }
    if (positionals.length !== 1) throw new UsageError('expected exactly one FILE');
    const file = positionals[0];
    const { config } = loadConfig(file, io, true);
    await checkConstruction(config);
    const processors = config.pipelines.reduce((n, p) => n + p.processors.length, 0);
    io.stdout.write(
      `${file}: valid (${config.pipelines.length} pipeline(s), ${processors} processor stage(s), state in ${config.state.path})\n`,
    );
    return ExitCode.OK;
  },
};

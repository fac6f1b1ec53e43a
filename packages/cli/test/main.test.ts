/**
 * The command line as a user meets it: the real executable spawned for --help and exit codes of every command,
 * and `main` in process for the many configuration cases.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';

import { main } from '../src/main.ts';
import { createProcessorRegistry } from '../src/processor-registry.ts';
import { runCli } from './support/cli.ts';

/** Runs `main` in process with captured streams. */
async function inProcess(argv: string[], env: Record<string, string> = {}, cwd = tmpdir()) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await main(argv, {
    registry: createProcessorRegistry(),
    stdout,
    stderr,
    stdin: new PassThrough(),
    env,
    cwd,
  });
  return { code, stdout: out, stderr: err };
}

interface Case {
  readonly args: string[];
  readonly code: number;
  readonly stderr?: RegExp;
  readonly stdout?: RegExp;
}

function check(c: Case, r: { code: number | null; stdout: string; stderr: string }): void {
  assert.equal(r.code, c.code, `egressguard ${c.args.join(' ')} exits ${c.code}: ${r.stderr}`);
  if (c.stderr) assert.match(r.stderr, c.stderr, `egressguard ${c.args.join(' ')}`);
  if (c.stdout) assert.match(r.stdout, c.stdout, `egressguard ${c.args.join(' ')}`);
}

describe('egressguard (spawned)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'egressguard-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints --help for every command and exits 0', async () => {
    const results = await Promise.all(
      [[], ['run'], ['replay'], ['validate'], ['list'], ['describe']].map((args) =>
        runCli([...args, '--help']),
      ),
    );
    assert.match(results[0].stdout, /^Usage: egressguard COMMAND/);
    for (const [i, name] of ['run', 'replay', 'validate', 'list', 'describe'].entries()) {
      const r = results[i + 1];
      assert.equal(r.code, 0, `${name} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: egressguard ${name}`), `${name} --help prints its usage`);
    }
  });

  it('exits 2 on usage and configuration errors, 1 on runtime failures, 0 on success', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'processors:\n  ratio_detector:\n    no_such_option: 1\nservice:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      processors: [ratio_detector]\n      exporters: [stdout]\n',
    );
    // Spawned: one case per exit code and kind of error; the many other cases run in process below.
    const cases: Case[] = [
      { args: [], code: 2, stderr: /^Usage: egressguard COMMAND/ },
      {
        args: ['run', '--no-such-flag'],
        code: 2,
        stderr: /egressguard run: Unknown option '--no-such-flag'[\s\S]*egressguard run --help/,
      },
      {
        args: ['validate', bad],
        code: 2,
        stderr:
          /invalid configuration:\n {2}processors\.ratio_detector\.no_such_option: unknown key\n {2}service\.pipelines\.logs\.receivers\[0\]: receiver "otlp" is not defined in receivers\n {2}service\.pipelines\.logs\.exporters\[0\]: exporter "stdout" is not defined in exporters\n/,
      },
      { args: ['replay', join(dir, 'missing.jsonl')], code: 1, stderr: /ENOENT/ },
      { args: ['list'], code: 0, stdout: /^PROCESSOR +STABILITY +STATEFUL +DESCRIPTION\n/ },
    ];
    const results = await Promise.all(cases.map((c) => runCli(c.args, { cwd: dir })));
    cases.forEach((c, i) => check(c, results[i]));
  });

  it('exits 1 when the port is taken', async () => {
    const { createServer } = await import('node:net');
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await runCli(['run', '--listen', `127.0.0.1:${port}`], { cwd: dir });
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `egressguard run: egressguard: receiver otlp cannot listen on 127\\.0\\.0\\.1:${port} \\(.*EADDRINUSE`,
        ),
      );
    } finally {
      server.close();
    }
  });
});

describe('egressguard (in process)', () => {
  it('exits 2 on usage errors and names what was wrong', async () => {
    const cases: Case[] = [
      { args: ['frobnicate'], code: 2, stderr: /unknown command "frobnicate"/ },
      { args: ['validate'], code: 2, stderr: /expected exactly one FILE/ },
      { args: ['validate', '--print-default', 'x.yaml'], code: 2, stderr: /--print-default takes no FILE/ },
      { args: ['validate', '/nonexistent/eg.yaml'], code: 2, stderr: /cannot read \/nonexistent\/eg\.yaml/ },
      { args: ['run', 'extra'], code: 2, stderr: /unexpected argument extra/ },
      { args: ['run', '--listen', 'localhost'], code: 2, stderr: /--listen localhost: must be HOST:PORT/ },
      { args: ['run', '--listen'], code: 2, stderr: /Option '-l, --listen <value>' argument missing/ },
      { args: ['replay'], code: 2, stderr: /expected at least one INPUT/ },
      {
        args: ['replay', '--format', 'pcap', 'x'],
        code: 2,
        stderr: /unknown format "pcap" \(known: otlp-json, auto, auditd/,
      },
      { args: ['list', 'x'], code: 2, stderr: /unexpected argument x/ },
      { args: ['describe'], code: 2, stderr: /expected exactly one TYPE/ },
      { args: ['describe', 'nope'], code: 2, stderr: /unknown type "nope" \(known: coverage_report, / },
      { args: ['help'], code: 0, stdout: /^Usage: egressguard COMMAND/ },
    ];
    for (const c of cases) check(c, await inProcess(c.args));
  });

  it('list names every processor type with stability and statefulness', async () => {
    const r = await inProcess(['list']);
    assert.equal(r.code, 0);
    for (const type of [
      'normalize',
      'process_attribution',
      'coverage_report',
      'http_flow_aggregator',
      'novelty_filter',
      'ratio_detector',
    ]) {
      assert.match(r.stdout, new RegExp(`\\n${type} +(development|alpha|beta|stable) +(yes|no) +\\S`), type);
    }
    assert.match(
      r.stdout,
      /receivers: otlp, ebpf, auditd, procfs\nexporters: otlp, otlphttp, stdout, file\n/,
    );
    const json = JSON.parse((await inProcess(['list', '--json'])).stdout) as { type: string }[];
    assert.equal(json.length, 6);
  });

  it('describe prints metadata and the configuration table, or the JSON Schema with --json', async () => {
    const r = await inProcess(['describe', 'http_flow_aggregator']);
    assert.equal(r.code, 0);
    assert.match(
      r.stdout,
      /^http_flow_aggregator: .+\n\nkind: +processor\nstability: +alpha\nstateful: +yes/,
    );
    assert.match(r.stdout, /reads: +\S/);
    assert.match(r.stdout, /writes: +.*egressguard\.http_flow/);
    assert.match(
      r.stdout,
      /\| key \| type \| default \| description \|\n\| --- \| --- \| --- \| --- \|\n\| `http_ports` \|/,
    );
    const schema = JSON.parse((await inProcess(['describe', '--json', 'ratio_detector'])).stdout) as {
      type: string;
      properties: object;
    };
    assert.equal(schema.type, 'object');
    const receiver = await inProcess(['describe', 'otlp']);
    assert.match(
      receiver.stdout,
      /kind: +receiver[\s\S]*`protocols\.http\.endpoint` \| string \| `"127\.0\.0\.1:4318"`/,
    );
  });

  it('the default configuration validates, with stdout or, when an OTLP endpoint is set, otlphttp', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'egressguard-default-'));
    try {
      const envs: Record<string, string>[] = [
        {},
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' },
        { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://127.0.0.1:4318/v1/logs' },
      ];
      for (const env of envs) {
        const printed = await inProcess(['validate', '--print-default'], env);
        assert.equal(printed.code, 0);
        const otlp = Object.keys(env).length > 0;
        assert.match(
          printed.stdout,
          otlp ? /\n {6}exporters: \[otlphttp\]\n/ : /\n {6}exporters: \[stdout\]\n/,
        );
        const file = join(dir, 'default.yaml');
        writeFileSync(file, printed.stdout);
        const checked = await inProcess(['validate', file], env, dir);
        assert.equal(checked.code, 0, checked.stderr);
        assert.equal(
          checked.stdout,
          `${file}: valid (1 pipeline(s), 6 processor stage(s), state in ${join(dir, '.egressguard', 'state')})\n`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validate names every problem by path, the env variable included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'egressguard-validate-'));
    try {
      const file = join(dir, 'c.yaml');
      writeFileSync(
        file,
        [
          'receivers:',
          '  otlp:',
          '    protocols:',
          '      http:',
          '        endpoint: ${env:EG_LISTEN}',
          'processors:',
          '  novelty_filter/a:',
          '    rare_min_count: 0',
          '  novelty_filter/b:',
          '    identity_scope: planet',
          'exporters:',
          '  stdout:',
          'service:',
          '  pipelines:',
          '    logs:',
          '      receivers: [otlp]',
          '      processors: [novelty_filter/a, novelty_filter/b]',
          '      exporters: [stdout]',
          '',
        ].join('\n'),
      );
      const missing = await inProcess(['validate', file]);
      assert.equal(missing.code, 2);
      assert.equal(
        missing.stderr,
        'egressguard validate: invalid configuration:\n  line 5: environment variable EG_LISTEN is not set and has no default (write ${env:EG_LISTEN:-default})\n',
      );
      const bad = await inProcess(['validate', file], { EG_LISTEN: '127.0.0.1:0' });
      assert.equal(bad.code, 2);
      assert.match(
        bad.stderr,
        /\n {2}processors\.novelty_filter\/a\.rare_min_count: Too small: expected number to be >=1\n/,
      );
      assert.match(
        bad.stderr,
        /\n {2}processors\.novelty_filter\/b\.identity_scope: Invalid option: expected one of "host"\|"global"\n/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two instances of one type with different names get their own options and stages', async () => {
    const { parseConfigText } = await import('../src/config/load-config.ts');
    const c = parseConfigText(
      'processors:\n  novelty_filter/a:\n    identity_scope: host\n  novelty_filter/b:\n    identity_scope: global\nservice:\n  pipelines:\n    logs:\n      processors: [novelty_filter/a, novelty_filter/b]\n',
      { registry: createProcessorRegistry(), env: {}, requireEnds: false },
    );
    const a = c.processors.get('novelty_filter/a')!;
    const b = c.processors.get('novelty_filter/b')!;
    assert.equal(a.type, 'novelty_filter');
    assert.equal(b.type, 'novelty_filter');
    assert.equal((a.config as { identity_scope: string }).identity_scope, 'host');
    assert.equal((b.config as { identity_scope: string }).identity_scope, 'global');
    assert.equal(
      'state_file' in (a.config as object),
      false,
      'state goes through the runtime checkpoint, not a file of the processor',
    );
    const { buildPipeline } = await import('../src/runtime/pipelines.ts');
    const built = buildPipeline(c, c.pipelines[0], () => undefined);
    assert.deepEqual(
      built.pipeline.processors.map((p) => p.id),
      ['novelty_filter/a', 'novelty_filter/b'],
    );
    await built.pipeline.shutdown();
  });
});

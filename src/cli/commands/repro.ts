// `entrolab repro [<claim> …]`: run the sweeps behind each paper claim, then write one page per
// claim with its figures, a table with 95% CIs over seeds and a verdict (src/repro/).
import os from 'node:os';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { UserError } from '../../base/errors.ts';
import { loadedPlugins } from '../../plugins/load-plugins.ts';
import { tableToMarkdown } from '../../report/report.ts';
import { claimEnvironments } from '../../repro/claim-envs.ts';
import { METHOD_TABLE_ID, TABLE_SEEDS, TABLE_TASKS } from '../../repro/method-table.ts';
import { verdictTable } from '../../repro/page.ts';
import { CLAIMS, DEFAULT_SEEDS } from '../../repro/registry.ts';
import { runClaims } from '../../repro/run-claims.ts';
import { saveVerdicts } from '../../repro/saved-verdicts.ts';
import { DEFAULT_DESIGN } from '../../repro/seed-plan.ts';
import { abortOnSignals, exitInterrupted } from '../interrupt.ts';
import { numberOption, SEED_RANGE, WORKERS_RANGE } from '../number-flag.ts';
import { methodTableCommand } from './repro-methods.ts';

interface ReproArgs {
  claims: string[];
  list: boolean;
  seeds?: number;
  'max-seeds': number;
  'first-seed': number;
  quick: boolean;
  out?: string;
  workers: number;
  figures?: string;
  backend?: string;
  tasks?: string;
  rows?: string;
}

function listClaims(): string {
  const indent = ''.padEnd(13);
  const table =
    `${METHOD_TABLE_ID.padEnd(12)} the method table: every regularizer, estimator and policy loss against GRPO\n` +
    `${indent}tasks: ${TABLE_TASKS.map((t) => t.id).join(', ')} (entrolab repro ${METHOD_TABLE_ID}; not in the default run)`;
  return `${CLAIMS.map(
    (c) =>
      `${c.id.padEnd(12)} ${c.title}\n${indent}${c.paper}\n${indent}sweeps: ${c.sweeps.join(', ')}\n` +
      `${indent}environments: ${claimEnvironments(c).join(', ')}`,
  ).join('\n')}\n${table}\n`;
}

export const reproCommand: CommandModule<object, ReproArgs> = {
  command: 'repro [claims..]',
  describe:
    "reproduce the papers' claims: run each claim's sweeps, then a page per claim with figures, 95% CIs and a verdict",
  builder: (y) =>
    y
      .positional('claims', {
        type: 'string',
        array: true,
        default: [],
        describe: `claims to run (default: all): ${CLAIMS.map((c) => c.id).join(', ')}`,
      })
      .option('list', {
        type: 'boolean',
        default: false,
        describe: 'say what each claim is and which paper makes it, and exit',
      })
      .option(
        'seeds',
        numberOption(
          'seeds',
          `a fixed number of verdict seeds per cell (default: planned per claim from its tuning seeds' spread; ` +
            `${DEFAULT_SEEDS.quick} with --quick)`,
          { min: 1, max: 1000 },
        ),
      )
      .option(
        'max-seeds',
        numberOption(
          'max-seeds',
          'the cap of a planned claim: at most this many verdict seeds',
          { min: 2, max: 1000 },
          DEFAULT_DESIGN.maxSeeds,
        ),
      )
      .option(
        'first-seed',
        numberOption(
          'first-seed',
          'first verdict seed (verdicts use 0..N−1; settings were picked on 100 and above)',
          SEED_RANGE,
          0,
        ),
      )
      .option('quick', {
        type: 'boolean',
        default: false,
        describe: 'short runs: every claim in under 2 minutes on 2 cores (a smoke test)',
      })
      .option('out', {
        type: 'string',
        describe: 'output directory (default runs/repro, runs/repro-quick with --quick)',
      })
      .option(
        'workers',
        numberOption('workers', 'training runs at once (one process each)', WORKERS_RANGE, os.availableParallelism()),
      )
      .option('figures', {
        type: 'string',
        describe: "also write each claim's headline figure to <dir>/<claim>.svg (what docs/repro/ holds)",
      })
      .option('backend', { type: 'string', describe: 'passed to every train run (auto|tensorflow|wasm|cpu)' })
      .option('tasks', { type: 'string', describe: `${METHOD_TABLE_ID} only: comma-separated tasks (default: all)` })
      .option('rows', { type: 'string', describe: `${METHOD_TABLE_ID} only: comma-separated rows (GRPO always runs)` })
      .example('$0 repro --list', 'the claims')
      .example('$0 repro collapse covariance --quick', 'two claims, short runs')
      .example('$0 repro --workers 2', 'every claim, full runs')
      .example('$0 repro methods --workers 2', 'the method table') as never,
  handler: async (args) => {
    if (args.list) {
      process.stdout.write(listClaims());
      return;
    }
    if (args.claims.length === 1 && args.claims[0] === METHOD_TABLE_ID) {
      const count = args.seeds ?? (args.quick ? TABLE_SEEDS.quick : TABLE_SEEDS.full);
      const seeds = Array.from({ length: count }, (_, i) => args['first-seed'] + i);
      const out = args.out ?? (args.quick ? 'runs/repro-quick' : 'runs/repro');
      return methodTableCommand({ ...args, seeds, out });
    }
    const unknown = args.claims.filter((id) => !CLAIMS.some((c) => c.id === id));
    if (unknown.length > 0)
      throw new UserError(
        `unknown claim '${unknown[0]}'; the claims are ${CLAIMS.map((c) => c.id).join(', ')}`,
        'repro',
      );
    const claims = args.claims.length === 0 ? CLAIMS : CLAIMS.filter((c) => args.claims.includes(c.id));
    const count = args.seeds ?? (args.quick ? DEFAULT_SEEDS.quick : undefined);
    const first = args['first-seed'];
    const workers = args.workers;
    const seeds = count === undefined ? undefined : Array.from({ length: count }, (_, i) => first + i);
    const design = { ...DEFAULT_DESIGN, maxSeeds: args['max-seeds'] };
    const out = args.out ?? (args.quick ? 'runs/repro-quick' : 'runs/repro');

    const controller = new AbortController();
    const removeHandlers = abortOnSignals(
      controller,
      (line) => process.stderr.write(`${line}\n`),
      (sig) => `${sig}: stopping the running trainers; run the same command again to resume`,
    );
    const started = Date.now();
    const outcomes = await runClaims(claims, {
      seeds,
      firstSeed: first,
      design,
      quick: args.quick,
      out,
      workers,
      trainArgs: [
        ...(args.backend ? ['--backend', args.backend] : []),
        ...loadedPlugins().flatMap((p) => ['--plugin', p.file]),
      ],
      signal: controller.signal,
    }).finally(removeHandlers);
    if (controller.signal.aborted) return exitInterrupted();

    const rows = saveVerdicts(out, outcomes, { seeds: seeds ?? [], quick: args.quick }, args.figures);
    process.stdout.write(
      tableToMarkdown(verdictTable(rows.filter((r) => outcomes.some((o) => o.claim.id === r.claim)))),
    );
    const minutes = ((Date.now() - started) / 60000).toFixed(1);
    process.stderr.write(
      `${outcomes.length} claim(s) in ${minutes} min: ` +
        `${outcomes.map((o) => `${o.claim.id} ${o.wallSeconds.toFixed(0)} s`).join(', ')}\n`,
    );
    process.stderr.write(`pages: ${path.join(out, 'index.html')}\n`);
    const failed = outcomes.flatMap((o) => o.failedRuns);
    if (failed.length > 0)
      throw new UserError(
        `${failed.length} run(s) did not finish (${failed.slice(0, 3).join(', ')}); re-run the same command to retry ` +
          `them`,
      );
  },
};

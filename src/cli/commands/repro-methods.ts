// `entrolab repro methods`: the method table (src/repro/method-table.ts) — every method × the
// flagship text tasks × seeds, its page, and its markdown on stdout.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../base/errors.ts';
import { loadedPlugins } from '../../plugins/load-plugins.ts';
import { runMethodTable } from '../../repro/run-method-table.ts';
import { abortOnSignals, exitInterrupted } from '../interrupt.ts';

export interface MethodTableArgs {
  seeds: number[];
  quick: boolean;
  out: string;
  workers: number;
  tasks?: string;
  rows?: string;
  backend?: string;
}

const list = (text: string | undefined) =>
  text
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export async function methodTableCommand(args: MethodTableArgs): Promise<void> {
  const controller = new AbortController();
  const removeHandlers = abortOnSignals(
    controller,
    (line) => process.stderr.write(`${line}\n`),
    (sig) => `${sig}: stopping the running trainers; run the same command again to resume`,
  );
  const started = Date.now();
  const outcome = await runMethodTable({
    seeds: args.seeds,
    quick: args.quick,
    out: args.out,
    workers: args.workers,
    tasks: list(args.tasks),
    rows: list(args.rows),
    trainArgs: [
      ...(args.backend ? ['--backend', args.backend] : []),
      ...loadedPlugins().flatMap((p) => ['--plugin', p.file]),
    ],
    signal: controller.signal,
  }).finally(removeHandlers);
  if (controller.signal.aborted || !outcome) return exitInterrupted();
  process.stdout.write(fs.readFileSync(path.join(path.dirname(outcome.page), 'table.md'), 'utf8'));
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  const parts = Object.entries(outcome.wallSeconds).map(
    ([task, w]) => `${task}: warm start ${w.sft.toFixed(0)} s, sweep ${w.sweep.toFixed(0)} s`,
  );
  process.stderr.write(`method table in ${minutes} min (${parts.join('; ')})\npage: ${outcome.page}\n`);
  if (outcome.failedRuns.length > 0)
    throw new UserError(
      `${outcome.failedRuns.length} run(s) did not finish (${outcome.failedRuns.slice(0, 3).join(', ')}); re-run ` +
        'the same command to retry them',
    );
}

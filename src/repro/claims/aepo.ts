// Claim 4: AEPO holds the entropy at an arbitrary target (arXiv 2510.08141).

import { formatMeanCi } from '../../report/report.ts';
import { meanCi95 } from '../../report/stats.ts';
import { type Claim, type ClaimData, type ClaimResult, cellRuns, values } from '../claim.ts';
import { tailMean } from '../fit.ts';
import { curveFigure, hline, PALETTE } from '../plots.ts';
import { fmt, runTest, type TestResult } from '../verdict.ts';
import { GRPO_CELL, GRPO_SWEEP } from './collapse.ts';

const SWEEP = 'aepo-targets';
/** The sweep's cells are `target-<value>` (configs/repro/aepo-targets.yaml): the targets come from there. */
const targetsOf = (data: ClaimData): number[] =>
  (data.sweeps.get(SWEEP)?.cells ?? [])
    .map((c) => Number(/^target-([\d.]+)$/.exec(c.cell)?.[1]))
    .filter(Number.isFinite);
/** AEPO's controller input: the exact token-mean entropy of the step's main rollout. */
const ROLLOUT_ENTROPY = 'entropy/rollout';
export const TOLERANCE = 0.1;
const TAIL = 0.25;

function analyze(data: ClaimData): ClaimResult {
  const tests: TestResult[] = [];
  const rows: string[][] = [];
  const groups = [];
  let lastStep = 0;
  const targetList = targetsOf(data);
  for (const target of targetList) {
    const runs = cellRuns(data, SWEEP, `target-${target}`);
    const seeds = [...runs.keys()].sort((a, b) => a - b);
    const tail = seeds.map((s) => tailMean(values(runs.get(s)!, ROLLOUT_ENTROPY), TAIL));
    const error = tail.map((h) => (h - target) / target);
    tests.push(
      runTest(`target ${target}: (mean entropy over the last 25% of steps − target) / target`, seeds, error, {
        kind: 'within',
        low: -TOLERANCE,
        high: TOLERANCE,
        delta: TOLERANCE / 2,
      }),
    );
    const success = seeds.map((s) => tailMean(values(runs.get(s)!, 'success_rate'), TAIL));
    const tempHigh = seeds.map((s) =>
      tailMean(
        values(runs.get(s)!, 'aepo/above_target').map((a) => 1 - a),
        TAIL,
      ),
    );
    const nReg = seeds.map((s) => tailMean(values(runs.get(s)!, 'aepo/n_reg'), TAIL));
    rows.push([
      String(target),
      String(seeds.length),
      ...[tail, error, tempHigh, nReg, success].map((v) => formatMeanCi(meanCi95(v))),
    ]);
    groups.push({ label: `AEPO target ${target}`, runs: seeds.map((s) => runs.get(s)!) });
    for (const run of runs.values()) lastStep = Math.max(lastStep, run.metrics.length);
  }
  const grpo = cellRuns(data, GRPO_SWEEP, GRPO_CELL);
  const grpoTail = [...grpo.values()].map((r) => tailMean(values(r, ROLLOUT_ENTROPY), TAIL));
  rows.push([
    'GRPO (no AEPO)',
    String(grpo.size),
    formatMeanCi(meanCi95(grpoTail)),
    '',
    '',
    '',
    formatMeanCi(meanCi95([...grpo.values()].map((r) => tailMean(values(r, 'success_rate'), TAIL)))),
  ]);
  const targets = targetList.map((t, i) => ({
    ...hline(`target ${t}`, t, 1, lastStep, PALETTE[i % PALETTE.length]),
    hideInLegend: true,
  }));
  return {
    tests,
    tables: [
      {
        caption:
          "Mean ± 95% CI over seeds of the last 25% of steps: rollout entropy (AEPO's own controller input, the " +
          'exact token-mean entropy of the main rollout), ' +
          'its relative error, the share of steps at T_high, the REINFORCE rows mixed in per step, and the training ' +
          'success rate',
        table: {
          header: ['target', 'seeds', 'entropy', 'relative error', 'share at T_high', 'REINFORCE rows', 'success'],
          rows,
        },
      },
    ],
    figures: [
      curveFigure(
        'entropy',
        'rollout entropy under AEPO with three targets (thin lines: the targets) and plain GRPO',
        ROLLOUT_ENTROPY,
        [...groups, { label: 'GRPO', runs: [...grpo.values()] }],
        {
          extra: targets,
        },
      ),
      curveFigure(
        'temperature',
        'AEPO regulator temperature (bang-bang between T_low and T_high)',
        'aepo/temperature',
        groups,
      ),
    ],
    notes: [
      `Plain GRPO ends at ${fmt(meanCi95(grpoTail).mean)} nats on the same task; the targets lie between that ` +
        `plateau and the uniform policy's ln 4 = ${fmt(Math.log(4))}.`,
    ],
  };
}

export const aepoClaim: Claim = {
  id: 'aepo',
  title: 'AEPO holds arbitrary entropy targets',
  paper:
    'AEPO, "Arbitrary Entropy Policy Optimization: Entropy Is Controllable in Reinforcement Fine-tuning", arXiv ' +
    '2510.08141',
  statement:
    `With three targets spread over the reachable range, the mean entropy over the last 25% of steps lies ` +
    `within ±${TOLERANCE * 100}% of each target.`,
  environment:
    'the four-rooms gridworld of the collapse claim: plain GRPO there falls from ln 4 to about 0.7 nats in 150 ' +
    'steps, so a target above that has to be ' +
    'held against the collapse, and groups keep mixed outcomes long enough for the one-sided REINFORCE rows to exist.',
  sweeps: [GRPO_SWEEP, SWEEP],
  tuning:
    'AEPO settings as in the shipped ablation (T = 1.2/0.8, REINFORCE rows from half the prompts, replace mode, ' +
    'exact estimator) but up to 64 REINFORCE ' +
    'rows per step instead of 32, and the three targets, were picked on seed 100: with 32 rows the entropy ended 8% ' +
    'and 12% below targets 0.9 and 1.1; ' +
    "with 64 rows 2%, 7% and 15% below targets 0.8, 1.0 and 1.2, so the targets span 0.8–1.0, above GRPO's plateau " +
    '(≈ 0.69 there) and below where ' +
    'the REINFORCE budget stops holding.',
  analyze,
};

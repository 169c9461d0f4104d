// Claim 3: Clip-Cov and KL-Cov keep entropy above plain GRPO's without losing pass@k
// (Cui et al. 2025, arXiv 2505.22617, section 5). On the gridworld and on word-hunt.

import { formatMeanCi } from '../../report/report.ts';
import { meanCi95 } from '../../report/stats.ts';
import { type Claim, type ClaimData, type ClaimResult, cellRuns, commonSeeds, finalEval, values } from '../claim.ts';
import { tailMean } from '../fit.ts';
import { curveFigure } from '../plots.ts';
import { fmt, nonInferiority, runTest, type TestResult } from '../verdict.ts';
import { ENTROPY } from './collapse.ts';
import { type ClaimEnvironment, GRIDWORLD, WORD_HUNT } from './environments.ts';
import { WORD_HUNT_ENV } from './word-hunt.ts';

/** Each environment's sweep of the two methods (cells method-clip_cov, method-kl_cov). */
const ENVS: { env: ClaimEnvironment; sweep: string }[] = [
  { env: GRIDWORLD, sweep: 'cov-methods' },
  { env: WORD_HUNT, sweep: 'word-hunt-cov-methods' },
];
export const COV_METHODS: [cell: string, label: string][] = [
  ['method-clip_cov', 'Clip-Cov'],
  ['method-kl_cov', 'KL-Cov'],
];
/** Non-inferiority margin for "pass@k at least as good". */
export const PASS_MARGIN = 0.05;

function analyze(data: ClaimData): ClaimResult {
  const tests: TestResult[] = [];
  const rows: string[][] = [];
  const figures = [];
  for (const { env, sweep } of ENVS) {
    const grpo = cellRuns(data, env.grpo.sweep, env.grpo.cell);
    const row = (label: string, runs: ReturnType<typeof cellRuns>, seeds: number[], ratio?: number[]) => {
      const pick = (f: (s: number) => number) => formatMeanCi(meanCi95(seeds.map(f)));
      const r = (s: number) => runs.get(s)!;
      rows.push([
        env.label,
        label,
        String(seeds.length),
        pick((s) => tailMean(values(r(s), ENTROPY), 0.1)),
        ratio ? formatMeanCi(meanCi95(ratio)) : '1',
        pick((s) => finalEval(r(s), 'successSampled')),
        `${env.passLabel} ${pick((s) => env.pass(r(s)))}`,
        pick((s) => env.pass(r(s)) - finalEval(r(s), 'successSampled')),
        pick((s) => tailMean(values(r(s), 'success_rate'), 0.1)),
      ]);
    };
    row(
      'GRPO',
      grpo,
      [...grpo.keys()].sort((a, b) => a - b),
    );
    const groups = [{ label: 'GRPO', runs: [...grpo.values()] }];
    for (const [cell, label] of COV_METHODS) {
      const runs = cellRuns(data, sweep, cell);
      const seeds = commonSeeds(grpo, runs);
      const entropyOf = (m: typeof runs, s: number) => tailMean(values(m.get(s)!, ENTROPY), 0.1);
      const ratio = seeds.map((s) => entropyOf(runs, s) / entropyOf(grpo, s));
      const passGap = seeds.map((s) => env.pass(runs.get(s)!) - env.pass(grpo.get(s)!));
      tests.push(
        runTest(
          `${env.label}: ${label} final entropy / GRPO's (same seed, mean of the last 10% of steps)`,
          seeds,
          ratio,
          {
            kind: 'above',
            value: 1,
            delta: 0.1,
          },
        ),
      );
      tests.push(
        runTest(
          `${env.label}: ${label} test ${env.passLabel} − GRPO's (same seed; non-inferiority margin ${PASS_MARGIN})`,
          seeds,
          passGap,
          nonInferiority(PASS_MARGIN),
        ),
      );
      row(label, runs, seeds, ratio);
      groups.push({ label, runs: seeds.map((s) => runs.get(s)!) });
    }
    const suffix = env === GRIDWORLD ? '' : `-${sweep}`;
    figures.push(
      curveFigure(`entropy${suffix}`, `policy entropy: GRPO, Clip-Cov, KL-Cov (${env.label})`, ENTROPY, groups),
      curveFigure(`success${suffix}`, `training success rate (${env.label})`, 'success_rate', groups),
    );
  }
  return {
    tests,
    tables: [
      {
        caption:
          'Mean ± 95% CI over seeds. Final entropy: mean of actor/entropy over the last 10% of steps. pass@1 ' +
          'and pass@k on the test split (held-out start/goal pairs or prompts, summary.json); gap = pass@k − pass@1',
        table: {
          header: [
            'environment',
            'method',
            'seeds',
            'final entropy',
            'entropy / GRPO',
            'test pass@1',
            'test pass@k',
            'pass@k − pass@1',
            'final training success',
          ],
          rows,
        },
      },
    ],
    figures,
    notes: [
      `The paper reports KL-Cov's entropy more than 10× GRPO's at plateau on 7B–32B language models; here the ratio ` +
        `is the "entropy / GRPO" column. ` +
        `A policy over 4 moves can never exceed ln 4 = ${fmt(Math.log(4))} nats, and GRPO's plateau on a solvable ` +
        `gridworld is not near 0, so a 10× ratio is out of reach there by construction. On word-hunt the bound is ` +
        `ln 32 = ${fmt(Math.log(32))} nats, and GRPO's plateau is lower, so the ratio has more room.`,
    ],
  };
}

export const covMethodsClaim: Claim = {
  id: 'cov-methods',
  title: 'Clip-Cov and KL-Cov escape entropy collapse',
  paper:
    'Cui et al. 2025, "The Entropy Mechanism of Reinforcement Learning for Reasoning Language Models", arXiv ' +
    '2505.22617',
  statement:
    'At equal steps, Clip-Cov and KL-Cov end with higher entropy than plain GRPO (the paper: >10× at plateau), and ' +
    'pass@k on a task with ' +
    'many valid answers is at least as good (non-inferiority margin 0.05), on each environment.',
  environment:
    'the four-rooms gridworld with start and goal sampled per prompt: between most start/goal pairs there are many ' +
    'shortest paths ' +
    '(many valid answers), and the test split holds out 200 pairs, so pass@4 measures whether a more diverse policy ' +
    `solves more unseen pairs; and ${WORD_HUNT_ENV}, where pass@64 on held-out prompts is compared.`,
  sweeps: [GRIDWORLD.grpo.sweep, 'cov-methods', WORD_HUNT.grpo.sweep, 'word-hunt-cov-methods'],
  tuning:
    'Clip-Cov r = 0.01 (ω = (1, 5)) and KL-Cov k = 0.02, β = 1 come from the shipped ablation ' +
    '(configs/sweeps/ablation.yaml, picked there on the ' +
    'key_door gridworld); they were checked on seed 100 of the gridworld and not changed, and used as they are ' +
    'on word-hunt (the method table uses the same).',
  analyze,
};

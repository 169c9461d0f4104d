// Claim: raising the upper clip bound (clip-higher, ε_high 0.28 against a symmetric 0.2) keeps
// entropy higher, since the symmetric clip caps how far a low-probability token's ratio may rise
// (DAPO, Yu et al. 2025, arXiv 2503.14476, section 3.1). On the gridworld and on word-hunt.
import { formatMeanCi } from '../../report/report.ts';
import { meanCi95 } from '../../report/stats.ts';
import {
  type Claim,
  type ClaimData,
  type ClaimResult,
  cellRuns,
  commonSeeds,
  finalEval,
  finalPassAtK,
  values,
} from '../claim.ts';
import { tailMean } from '../fit.ts';
import { curveFigure } from '../plots.ts';
import { runTest, type TestResult } from '../verdict.ts';
import { ENTROPY } from './collapse.ts';

/** Each sweep's two cells: clip_ratio_high 0.28 (clip-higher) and 0.2 (symmetric). */
const HIGHER_CELL = 'clip_high-0.28';
const SYMMETRIC_CELL = 'clip_high-0.2';
const ENVS = [
  { label: 'four-rooms gridworld', sweep: 'clip-higher', pass: 'passAtK' },
  { label: 'word-hunt', sweep: 'word-hunt-clip-higher', pass: '64' },
] as const;
/** Smallest effect of interest: a 5% higher final entropy. */
export const ENTROPY_RATIO_DELTA = 0.05;

function analyze(data: ClaimData): ClaimResult {
  const tests: TestResult[] = [];
  const rows: string[][] = [];
  const figures = [];
  for (const env of ENVS) {
    const higher = cellRuns(data, env.sweep, HIGHER_CELL);
    const symmetric = cellRuns(data, env.sweep, SYMMETRIC_CELL);
    const seeds = commonSeeds(higher, symmetric);
    const final = (m: typeof higher, s: number) => tailMean(values(m.get(s)!, ENTROPY), 0.1);
    const ratio = seeds.map((s) => final(higher, s) / final(symmetric, s));
    tests.push(
      runTest(`${env.label}: final entropy, clip-higher / symmetric clip (same seed)`, seeds, ratio, {
        kind: 'above',
        value: 1,
        delta: ENTROPY_RATIO_DELTA,
      }),
    );
    const pass = (m: typeof higher, s: number) =>
      env.pass === 'passAtK' ? finalEval(m.get(s)!, 'passAtK') : finalPassAtK(m.get(s)!.dir, 64);
    const passLabel = env.pass === 'passAtK' ? `pass@${[...higher.values()][0]?.finalEval?.k ?? 'k'}` : 'pass@64';
    for (const [label, m] of [
      ['ε_high 0.28 (clip-higher)', higher],
      ['ε_high 0.2 (symmetric)', symmetric],
    ] as const) {
      const pick = (f: (s: number) => number) => formatMeanCi(meanCi95(seeds.map(f)));
      rows.push([
        env.label,
        label,
        String(seeds.length),
        pick((s) => final(m, s)),
        pick((s) => finalEval(m.get(s)!, 'successSampled')),
        `${passLabel} ${pick((s) => pass(m, s))}`,
      ]);
    }
    const groups = [
      { label: 'ε_high 0.28', runs: seeds.map((s) => higher.get(s)!) },
      { label: 'ε_high 0.2', runs: seeds.map((s) => symmetric.get(s)!) },
    ];
    figures.push(
      curveFigure(
        `entropy-${env.sweep}`,
        `policy entropy, clip-higher against symmetric (${env.label})`,
        ENTROPY,
        groups,
      ),
    );
  }
  return {
    tests,
    tables: [
      {
        caption:
          'Mean ± 95% CI over seeds: final entropy (mean of the last 10% of steps), test pass@1 and pass@k of the ' +
          'final evaluation on held-out prompts',
        table: { header: ['environment', 'clip range', 'seeds', 'final entropy', 'test pass@1', 'test pass@k'], rows },
      },
    ],
    figures,
    notes: [
      'DAPO reports the entropy of the symmetric-clip run collapsing within the first few hundred steps on ' +
        'Qwen2.5-32B while clip-higher keeps it up; the ratio here is the test statistic of each environment.',
    ],
  };
}

export const clipHigherClaim: Claim = {
  id: 'clip-higher',
  title: 'Clip-higher raises entropy',
  paper: 'Yu et al. 2025, "DAPO: An Open-Source LLM Reinforcement Learning System at Scale", arXiv 2503.14476',
  statement:
    'With the upper clip bound raised from 1 + 0.2 to 1 + 0.28 (the lower kept at 1 − 0.2), plain GRPO ends ' +
    'with a higher entropy than with the symmetric clip, on the same seeds.',
  environment:
    'the four-rooms gridworld and word-hunt from the shared SFT warm start (a 32-token vocabulary, where a ' +
    'low-probability token has far more room to rise), each with more updates per rollout batch than its base ' +
    'run (4 epochs × 4 mini-batches on the gridworld, 2 × 4 on word-hunt), since the clip acts only on tokens ' +
    'whose probability ratio has moved.',
  sweeps: ['clip-higher', 'word-hunt-clip-higher'],
  tuning:
    "DAPO's ε_high = 0.28 against the symmetric 0.2. The update counts were raised after main's quick runs " +
    "(seeds 0–2, 40 steps) clipped 0.1% of tokens with the base runs' updates and gave identical runs under " +
    'either bound on two of three word-hunt seeds; δ (a 5% higher entropy) was fixed before any verdict seed ran.',
  analyze,
};

// The two environments the training claims run on, with what their analyses read of each: the
// plain-GRPO baseline cell (paired with a method's runs by seed), the held-out pass@k the claim
// compares, and the most entropy a token can have there.
import type { RunData } from '../../report/data.ts';
import { finalEval, finalPassAtK } from '../claim.ts';
import { GRPO_CELL, GRPO_SWEEP } from './collapse.ts';
import { WORD_HUNT_CELL, WORD_HUNT_SWEEP } from './word-hunt.ts';

export interface ClaimEnvironment {
  /** How a test, table row and figure names it. */
  label: string;
  /** The plain-GRPO baseline: sweep and cell. */
  grpo: { sweep: string; cell: string };
  /** The held-out pass@k the claim compares, e.g. "pass@4". */
  passLabel: string;
  /** That pass@k of a run's final test-split evaluation. */
  pass(run: RunData): number;
  /** ln |A|: the entropy of the uniform policy, the most a token can have. */
  maxEntropy: number;
  /** How the page writes that bound, e.g. "ln 4". */
  maxEntropyLabel: string;
}

/** configs/repro/four-rooms.yaml: 4 moves, pass@4 from 4 samples per held-out start/goal pair. */
export const GRIDWORLD: ClaimEnvironment = {
  label: 'four-rooms gridworld',
  grpo: { sweep: GRPO_SWEEP, cell: GRPO_CELL },
  passLabel: 'pass@4',
  pass: (run) => finalEval(run, 'passAtK'),
  maxEntropy: Math.log(4),
  maxEntropyLabel: 'ln 4',
};

/** configs/repro/word-hunt.yaml: a 32-token vocabulary, pass@64 from 64 samples per held-out prompt. */
export const WORD_HUNT: ClaimEnvironment = {
  label: 'word-hunt',
  grpo: { sweep: WORD_HUNT_SWEEP, cell: WORD_HUNT_CELL },
  passLabel: 'pass@64',
  pass: (run) => finalPassAtK(run.dir, 64),
  maxEntropy: Math.log(32),
  maxEntropyLabel: 'ln 32',
};

// The claims `entrolab repro` knows, in the order it runs them, and how --quick shrinks their sweeps.
import type { Claim } from './claim.ts';
import { aepoClaim } from './claims/aepo.ts';
import { clipHigherClaim } from './claims/clip-higher.ts';
import { collapseClaim } from './claims/collapse.ts';
import { covMethodsClaim } from './claims/cov-methods.ts';
import { covarianceClaim } from './claims/covariance.ts';
import { epoClaim } from './claims/epo.ts';
import { narrowingClaim } from './claims/narrowing.ts';
import { passAt64Claim } from './claims/pass-at-64.ts';
import { steerClaim } from './claims/steer.ts';

export const CLAIMS: Claim[] = [
  collapseClaim,
  covarianceClaim,
  covMethodsClaim,
  aepoClaim,
  epoClaim,
  steerClaim,
  narrowingClaim,
  clipHigherClaim,
  passAt64Claim,
];

/** Seeds of --quick when --seeds is not given (full runs plan theirs: src/repro/seed-plan.ts). */
export const DEFAULT_SEEDS = { quick: 3 };

/**
 * --quick: the same sweeps with fewer steps and a smaller final evaluation (and fewer seeds), so
 * every claim together runs in under two minutes on two cores. Its verdicts are a smoke test of
 * the pipeline, decided on short runs; the full runs decide the claims.
 */
export const QUICK_SET: Record<string, unknown> = {
  steps: 40,
  'rollout.prompts_per_step': 8,
  'eval.episodes': 40,
  'checkpoint.every': 40,
};

/**
 * Base configs (under configs/repro/) whose runs start from a shared SFT warm start, and the SFT
 * config that makes it (src/repro/warm-start.ts): every sweep on that base gets its init_from.
 */
export const WARM_STARTS: Record<string, string> = { 'word-hunt.yaml': 'sft-word-hunt' };

/** --quick for the warm starts: a quarter of the SFT steps and a smaller final evaluation. */
export const QUICK_SFT_SET: Record<string, unknown> = {
  'sft.steps': 150,
  'sft.demos': 1000,
  'sft.checkpoint_every': 150,
  'eval.episodes': 40,
};

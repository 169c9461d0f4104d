// Evaluation on the test split: greedy success, sampled success (pass@1) and pass@k.
import type { EnvFactory, Prompt } from '../../envs/env.ts';
import { Rng } from '../base/rng.ts';
import type { Policy } from '../policies/policy.ts';
import { type GroupRequest, runEpisodes } from '../rollout/rollout.ts';

export interface EvalResult {
  prompts: number;
  /** Success rate of greedy (argmax) decoding, one episode per prompt. */
  successGreedy: number;
  /** Success rate of sampled episodes = pass@1. */
  successSampled: number;
  /** Fraction of prompts solved by at least one of k samples. */
  passAtK: number;
  k: number;
  rewardMean: number;
  lengthMean: number;
}

export interface EvalOptions {
  prompts: number;
  k: number;
  temperature: number;
  /** Seeds the evaluation's own streams, independent of training's. */
  seed: string;
}

export function evaluate(envFactory: EnvFactory, policy: Policy, opts: EvalOptions): EvalResult {
  const env = envFactory();
  const promptRng = new Rng(`${opts.seed}:prompts`);
  const prompts: Prompt[] = Array.from({ length: opts.prompts }, () => env.samplePrompt(promptRng, 'test'));
  const groups = (count: number): GroupRequest[] =>
    prompts.map((prompt, i) => ({ prompt, count, groupId: i, temperature: opts.temperature, isExtra: false }));
  const greedy = runEpisodes(
    envFactory,
    policy,
    groups(1),
    { env: new Rng(`${opts.seed}:env-greedy`), sampling: new Rng(`${opts.seed}:greedy`) },
    true,
  );
  const sampled = runEpisodes(envFactory, policy, groups(opts.k), {
    env: new Rng(`${opts.seed}:env`),
    sampling: new Rng(`${opts.seed}:sampling`),
  });
  const solved = new Set(sampled.filter((e) => e.success).map((e) => e.groupId));
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    prompts: prompts.length,
    successGreedy: mean(greedy.map((e) => (e.success ? 1 : 0))),
    successSampled: mean(sampled.map((e) => (e.success ? 1 : 0))),
    passAtK: solved.size / prompts.length,
    k: opts.k,
    rewardMean: mean(sampled.map((e) => e.reward)),
    lengthMean: mean(sampled.map((e) => e.actions.length)),
  };
}

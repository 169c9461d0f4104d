// Evaluation on the test split: greedy success, sampled success (pass@1) and the pass@k curve.
import type { EnvFactory, Prompt } from '../../envs/env.ts';
import { mean } from '../base/numerics.ts';
import { Rng } from '../base/rng.ts';
import type { EvalConfig } from '../config/schema.ts';
import type { Policy } from '../policies/policy.ts';
import { type GroupRequest, runEpisodes } from '../rollout/rollout.ts';
import { defaultPassKs, passAtK, passAtKCurve } from './pass-at-k.ts';

export interface EvalResult {
  prompts: number;
  /** Success rate of greedy (argmax) decoding, one episode per prompt. */
  successGreedy: number;
  /** Success rate of sampled episodes = pass@1. */
  successSampled: number;
  /** pass@k for `k`: with `samples` = k, the fraction of prompts solved by one of the k samples. */
  passAtK: number;
  k: number;
  rewardMean: number;
  lengthMean: number;
  /** Sampled episodes per prompt (n). */
  samples: number;
  /** pass@k for each k of the curve (keys "1", "2", …), the unbiased estimator from n samples. */
  passAtKCurve: Record<string, number>;
}

export interface EvalOptions {
  prompts: number;
  k: number;
  /** Sampled episodes per prompt, ≥ k and ≥ every k of `passKs` (default: k). */
  samples?: number;
  /** The k's of the pass@k curve (default: 1, 2, 4, … up to samples, and k). */
  passKs?: readonly number[];
  temperature: number;
  /** Seeds the evaluation's own streams, independent of training's. */
  seed: string;
}

/** The options of an end-of-run evaluation as a config's `eval:` block names them. */
export function evalOptionsOf(evalConfig: EvalConfig, temperature: number, seed: string): EvalOptions {
  return {
    prompts: evalConfig.episodes,
    k: evalConfig.k,
    samples: evalConfig.samples,
    passKs: evalConfig.pass_k,
    temperature,
    seed,
  };
}

export function evaluate(envFactory: EnvFactory, policy: Policy, opts: EvalOptions): EvalResult {
  const n = opts.samples ?? opts.k;
  const ks = opts.passKs ?? defaultPassKs(n, [opts.k]);
  if (opts.k > n || ks.some((k) => k > n)) throw new Error(`pass@k needs k ≤ samples (${n}), got ${[opts.k, ...ks]}`);
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
  const sampled = runEpisodes(envFactory, policy, groups(n), {
    env: new Rng(`${opts.seed}:env`),
    sampling: new Rng(`${opts.seed}:sampling`),
  });
  const correct = prompts.map(() => 0);
  for (const e of sampled) if (e.success) correct[e.groupId] += 1;
  return {
    prompts: prompts.length,
    successGreedy: mean(greedy.map((e) => (e.success ? 1 : 0))),
    successSampled: mean(sampled.map((e) => (e.success ? 1 : 0))),
    passAtK: mean(correct.map((c) => passAtK(n, c, opts.k))),
    k: opts.k,
    rewardMean: mean(sampled.map((e) => e.reward)),
    lengthMean: mean(sampled.map((e) => e.actions.length)),
    samples: n,
    passAtKCurve: passAtKCurve(correct, n, ks),
  };
}

// Where a GRPO step's time goes, phase by phase, on the two workloads of the PyTorch comparison
// (16 prompts × 8 episodes; gridworld 8×8 with an MLP 64-64, arithmetic with a d64 L2 H4
// transformer). Each phase is timed on its own (wall and CPU time, medians over the steps after
// the warm-up), outside the trainer so nothing else is in the way.
//   [P=.. G=.. SIZE=.. HORIZON=.. HIDDEN=.. D=.. L=.. DIGITS=..] node --import tsx bench/phases.ts [grid|text] [steps]
import { broadcastToTokens, groupAdvantages } from '../algorithms/grpo.ts';
import { selectBackend } from '../src/backend/backend.ts';
import { tokenCount } from '../src/base/batch.ts';
import { makeStreams } from '../src/base/rng.ts';
import { parseConfig } from '../src/config/load.ts';
import { Adam } from '../src/core/adam.ts';
import { evaluate } from '../src/core/evaluate.ts';
import { updatePolicy } from '../src/core/update.ts';
import { buildBatch, type GroupRequest, oldPass, runEpisodes } from '../src/rollout/rollout.ts';
import { makeEnvFactory, makePolicy } from '../src/train/setup.ts';
import { shapeFrom, WORKLOADS } from './workloads.ts';

const work = (process.argv[2] ?? 'grid') as keyof typeof WORKLOADS;
const steps = Number(process.argv[3] ?? 20);
const warmup = 3;
await selectBackend((process.env.ENTROLAB_BACKEND as 'auto' | undefined) ?? 'auto');
const config = parseConfig(WORKLOADS[work](steps, shapeFrom(process.env)), `workload ${work}`);
const envFactory = makeEnvFactory(config);
const env = envFactory();
const streams = makeStreams(config.seed);
const policy = makePolicy(config, env, streams.init);
const optimizer = new Adam(policy.variables, config.optim);
const T = config.rollout.temperature;

const times: Record<string, { wall: number[]; cpu: number[] }> = {};
function timed<R>(phase: string, f: () => R): R {
  const w0 = performance.now();
  const c0 = process.cpuUsage();
  const out = f();
  const c = process.cpuUsage(c0);
  (times[phase] ??= { wall: [], cpu: [] }).wall.push(performance.now() - w0);
  times[phase].cpu.push((c.user + c.system) / 1000);
  return out;
}
const tokens: number[] = [];
for (let step = 0; step < steps; step++) {
  const info = {
    step,
    totalSteps: steps,
    promptsPerStep: config.rollout.prompts_per_step,
    groupSize: config.rollout.group_size,
  };
  const t0 = performance.now();
  const groups: GroupRequest[] = Array.from({ length: config.rollout.prompts_per_step }, (_, i) => ({
    prompt: env.samplePrompt(streams.prompts, 'train'),
    count: config.rollout.group_size,
    groupId: i,
    temperature: T,
    isExtra: false,
  }));
  const rngs = { env: streams.env, sampling: streams.sampling };
  const episodes = timed('rollout', () => runEpisodes(envFactory, policy, groups, rngs, false, true));
  const batch = timed('batch + old pass', () => buildBatch(policy, episodes, T, true));
  // the same batch with rollout.recompute_old_logprobs: false (left out of the step's total)
  const r0 = performance.now();
  timed('batch, reused', () => buildBatch(policy, episodes, T, true, true));
  const reusedMs = performance.now() - r0;
  const adv = groupAdvantages(batch.reward, batch.groupId, { normByStd: true, epsilon: 1e-6 });
  batch.advantages = broadcastToTokens(adv, batch.mask, batch.width);
  const settings = { grpo: config.grpo, gradClip: config.optim.grad_clip, temperature: T };
  timed('update', () => updatePolicy(policy, optimizer, batch, [], settings, info, streams.shuffle));
  timed('after-update pass', () => oldPass(policy, batch.inputs, batch.actions, T, true));
  timed('eval (8 prompts)', () => evaluate(envFactory, policy, { prompts: 8, k: 1, temperature: T, seed: `e${step}` }));
  (times.step ??= { wall: [], cpu: [] }).wall.push(performance.now() - t0 - reusedMs);
  tokens.push(tokenCount(batch));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${work}: medians over steps ${warmup + 1}..${steps}, ms (wall / cpu)`);
for (const [phase, t] of Object.entries(times)) {
  const w = median(t.wall.slice(warmup)).toFixed(1);
  const c = t.cpu.length ? ` / ${median(t.cpu.slice(warmup)).toFixed(1)}` : '';
  console.log(`  ${phase.padEnd(20)} ${w}${c}`);
}
console.log(`  tokens/step          ${median(tokens.slice(warmup))}`);

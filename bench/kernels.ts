// Where one update's time goes kernel by kernel (tf.profile, wall time, mean of 5 updates after 5
// warm-ups) on a workload of the PyTorch comparison, then its mean wall and CPU time.
//   [P=.. G=.. SIZE=.. HORIZON=.. HIDDEN=.. D=.. L=.. DIGITS=..] node --import tsx bench/kernels.ts grid|text
import * as tf from '@tensorflow/tfjs';
import { broadcastToTokens, groupAdvantages } from '../algorithms/grpo.ts';
import { selectBackend } from '../src/backend/backend.ts';
import { makeStreams } from '../src/base/rng.ts';
import { parseConfig } from '../src/config/load.ts';
import { Adam } from '../src/core/adam.ts';
import { updatePolicy } from '../src/core/update.ts';
import { buildBatch, type GroupRequest, runEpisodes } from '../src/rollout/rollout.ts';
import { makeEnvFactory, makePolicy } from '../src/train/setup.ts';
import { shapeFrom, WORKLOADS } from './workloads.ts';

const work = (process.argv[2] ?? 'grid') as keyof typeof WORKLOADS;
await selectBackend((process.env.ENTROLAB_BACKEND as 'auto' | undefined) ?? 'auto');
const config = parseConfig(WORKLOADS[work](5, shapeFrom(process.env)), `workload ${work}`);
const envFactory = makeEnvFactory(config);
const env = envFactory();
const streams = makeStreams(0);
const policy = makePolicy(config, env, streams.init);
const optimizer = new Adam(policy.variables, config.optim);
const groups: GroupRequest[] = Array.from({ length: 16 }, (_, i) => ({
  prompt: env.samplePrompt(streams.prompts, 'train'),
  count: 8,
  groupId: i,
  temperature: 1,
  isExtra: false,
}));
const episodes = runEpisodes(envFactory, policy, groups, { env: streams.env, sampling: streams.sampling });
const batch = buildBatch(policy, episodes, 1, true);
const advantages = groupAdvantages(batch.reward, batch.groupId, { normByStd: true, epsilon: 1e-6 });
batch.advantages = broadcastToTokens(advantages, batch.mask, batch.width);
const settings = { grpo: config.grpo, gradClip: 0, temperature: 1 };
const position = { step: 0, totalSteps: 5, promptsPerStep: 16, groupSize: 8 };
const update = () => updatePolicy(policy, optimizer, batch, [], settings, position, streams.shuffle);

for (let i = 0; i < 5; i++) update();
const byKernel = new Map<string, number>();
let kernels = 0;
for (let rep = 0; rep < 5; rep++) {
  const profile = await tf.profile(() => (update(), []));
  kernels = profile.kernels.length;
  for (const k of profile.kernels) {
    const key = `${k.name}[${k.inputShapes.map((s) => s?.join('x')).join(',')}]`;
    byKernel.set(key, (byKernel.get(key) ?? 0) + ((await k.kernelTimeMs) as number) / 5);
  }
}
const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
console.log(`${work}: ${kernels} kernels per update, ${total.toFixed(1)} ms in kernels; the largest:`);
for (const [k, ms] of [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 20))
  console.log(`  ${ms.toFixed(2).padStart(7)} ${k}`);
const t0 = performance.now();
const c0 = process.cpuUsage();
for (let i = 0; i < 10; i++) update();
const cpu = process.cpuUsage(c0);
const wall = (performance.now() - t0) / 10;
console.log(`update: ${wall.toFixed(1)} ms wall, ${((cpu.user + cpu.system) / 1e4).toFixed(1)} ms CPU (mean of 10)`);

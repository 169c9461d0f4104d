// Schedules in real runs: the value in force is logged, takes effect at the step it says, reaches a
// regularizer through its config, changes nothing when it is constant, and resumes exactly mid-ramp.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, stopAfter, tempDir } from '../helpers.ts';

const QUICK = 'configs/quickstart.yaml';
const small = [
  'steps=6',
  'env.preset=open5',
  'rollout.prompts_per_step=4',
  'rollout.group_size=4',
  'policy.hidden=[16]',
  'checkpoint.every=2',
  'eval.episodes=4',
];

async function run(sets: string[], extra: Parameters<typeof train>[1] extends infer O ? Partial<O> : never = {}) {
  const runDir = tempDir();
  await train(loadConfig(QUICK, [...small, ...sets]), { runDir, log: () => {}, ...extra });
  return { runDir, lines: readJsonl(path.join(runDir, 'metrics.jsonl')) };
}

/** A record without perf/ (wall clock) and schedule/ keys, as one comparable string. */
const core = (r: Record<string, number>) =>
  JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => !/^(perf|schedule)\//.test(k))));

describe('scheduled settings in training', () => {
  it('log the value in force, and a learning-rate ramp acts on the update of the step it names', async () => {
    const plain = await run([]);
    const ramp = await run(['optim.lr={schedule: linear, from: 0.003, to: 0.0005}']);
    // 0.003 + (0.0005 − 0.003)·(t−1)/5
    const expected = [0.003, 0.0025, 0.002, 0.0015, 0.001, 0.0005];
    ramp.lines.forEach((r, i) => expect(r['schedule/optim.lr']).toBeCloseTo(expected[i], 15));
    // step 1 updates with lr 0.003 as the plain run does, so step 2 samples the same episodes; its
    // update (several optimizer steps in the quickstart) uses 0.0025, so its update metrics differ
    expect(core(ramp.lines[0])).toBe(core(plain.lines[0]));
    for (const key of ['entropy/rollout', 'critic/score/mean', 'response_length/mean'])
      expect(ramp.lines[1][key]).toBe(plain.lines[1][key]);
    expect(ramp.lines[1]['actor/ppo_kl']).not.toBe(plain.lines[1]['actor/ppo_kl']);
    expect(core(ramp.lines[2])).not.toBe(core(plain.lines[2]));
  });

  it('a constant schedule changes nothing but the schedule/ key', async () => {
    const plain = await run(['grpo.entropy_coeff=0.01', 'regularizers=[{name: entropy_bonus, coef: 0.05}]']);
    const constant = await run([
      'grpo.entropy_coeff={schedule: constant, from: 0.01}',
      'regularizers=[{name: entropy_bonus, coef: {schedule: constant, from: 0.05}}]',
    ]);
    expect(constant.lines.map(core)).toEqual(plain.lines.map(core));
    expect(constant.lines.map((r) => r['schedule/regularizers.0.coef'])).toEqual(Array(6).fill(0.05));
  });

  it("reach a regularizer through its config: entropy_bonus's coefficient follows the ramp", async () => {
    const { lines } = await run([
      'regularizers=[{name: entropy_bonus, coef: {schedule: linear, from: 0.05, to: 0.3}}]',
    ]);
    lines.forEach((r, i) => {
      const value = 0.05 + (0.25 * i) / 5;
      expect(r['schedule/regularizers.0.coef']).toBeCloseTo(value, 15);
      expect(r['entropy_bonus/coef']).toBeCloseTo(value, 6);
    });
  });

  it('resume in the middle of a ramp continues the schedules exactly (state of a scheduled regularizer kept)', async () => {
    const sets = [
      'grpo.entropy_coeff={schedule: cosine, from: 0.02, to: 0, warmup: 2}',
      'regularizers=[{name: entropy_bonus, adaptive: true, coef: 0.05, target: {schedule: linear, from: 1.2, to: 0.6}}]',
    ];
    const unbroken = await run(sets);
    const cut = tempDir();
    const config = loadConfig(QUICK, [...small, ...sets]);
    await train(config, { runDir: cut, log: () => {}, ...stopAfter(3) });
    expect(readJsonl(path.join(cut, 'metrics.jsonl'))).toHaveLength(3);
    await train(config, { runDir: cut, resume: true, log: () => {} });
    const resumed = readJsonl(path.join(cut, 'metrics.jsonl'));
    const withSchedules = (r: Record<string, number>) =>
      JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('perf/'))));
    expect(resumed.map(withSchedules)).toEqual(unbroken.lines.map(withSchedules));
    // the adaptive coefficient moved (its state crossed the per-step re-creation), and warm-up held step 1 at half
    expect(new Set(unbroken.lines.map((r) => r['entropy_bonus/coef'])).size).toBeGreaterThan(1);
    expect(unbroken.lines[0]['schedule/grpo.entropy_coeff']).toBeCloseTo(0.01, 15);
  });
});

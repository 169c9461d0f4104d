import { describe, expect, it } from 'vitest';
import { Gridworld, gridworldSchema } from '../../envs/gridworld.ts';
import { Rng } from '../../src/base/rng.ts';

const make = (over: Record<string, unknown> = {}) => new Gridworld(gridworldSchema.parse(over));
const UP = 0;
const DOWN = 1;
const LEFT = 2;
const RIGHT = 3;

describe('gridworld', () => {
  it('moves, bumps into walls and edges, and pays the goal reward once at the goal', () => {
    const env = make({ map: ['S.#', '..G'], step_penalty: -0.01 });
    env.reset({ id: 'p', start: 0, goal: 5 }, new Rng('e'));
    expect(env.step(UP)).toEqual({ reward: -0.01, done: false, success: false, turnEnded: true }); // edge
    env.step(RIGHT); // to (0,1)
    const blocked = env.observe();
    env.step(RIGHT); // wall at (0,2)
    expect(env.observe()).toEqual(blocked);
    env.step(DOWN); // (1,1)
    const last = env.step(RIGHT); // (1,2) = goal
    expect(last.success).toBe(true);
    expect(last.done).toBe(true);
    expect(last.reward).toBeCloseTo(1 - 0.01, 12);
  });

  it('observation is one-hot agent, one-hot goal, key flag', () => {
    const env = make({ map: ['S.', '.G'] });
    env.reset({ id: 'p', start: 0, goal: 3 }, new Rng('e'));
    expect(Array.from(env.observe())).toEqual([1, 0, 0, 0, 0, 0, 0, 1, 0]);
    expect(env.observation).toEqual({ kind: 'features', size: 9 });
  });

  it('the door opens only with the key', () => {
    const env = make({ map: ['SD.G', 'K...'].map((r) => r), max_steps: 50 });
    env.reset({ id: 'p', start: 0, goal: 3 }, new Rng('e'));
    env.step(RIGHT);
    expect(env.render().split('\n')[0]).toBe('AD.G'); // blocked by the door
    env.step(DOWN); // onto the key
    env.step(UP);
    env.step(RIGHT);
    expect(env.render().split('\n')[0]).toBe('.A.G');
  });

  it('ends at the step limit without success', () => {
    const env = make({ map: ['S...G'], max_steps: 3 });
    env.reset({ id: 'p', start: 0, goal: 4 }, new Rng('e'));
    env.step(LEFT);
    env.step(LEFT);
    const r = env.step(LEFT);
    expect(r).toMatchObject({ done: true, success: false, reward: 0 });
  });

  it('slip = 1 makes moves random but reproducible from the env stream', () => {
    const run = () => {
      const env = make({ preset: 'open5', slip: 1 });
      env.reset({ id: 'p', start: 12, goal: 0 }, new Rng('slip'));
      const path: string[] = [];
      for (let i = 0; i < 8; i++) {
        env.step(UP);
        path.push(env.render());
      }
      return path;
    };
    const a = run();
    expect(run()).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(2); // always pressing UP would stall at the top edge
  });

  it('prompts: same stream → same prompts; sampled start never equals the goal; test split held out', () => {
    const env = make({ preset: 'open5', test_prompts: 5 });
    const a = Array.from(
      { length: 20 },
      (
        (r) => () =>
          env.samplePrompt(r, 'train')
      )(new Rng('s')),
    );
    const b = Array.from(
      { length: 20 },
      (
        (r) => () =>
          env.samplePrompt(r, 'train')
      )(new Rng('s')),
    );
    expect(a).toEqual(b);
    for (const p of a) expect(p.start).not.toBe(p.goal);
    const test = new Set(
      Array.from(
        { length: 50 },
        (
          (r) => () =>
            env.samplePrompt(r, 'test').id
        )(new Rng('t')),
      ),
    );
    expect(test.size).toBeLessThanOrEqual(5);
    for (const p of a) expect(test.has(p.id)).toBe(false);
  });

  it('builds empty rooms of a given size, adds walls, fixes start and goal', () => {
    const env = make({ size: [2, 4], walls: [[0, 1]], start: [1, 0], goal: [0, 3] });
    env.reset(env.samplePrompt(new Rng('p'), 'train'), new Rng('e'));
    expect(env.render()).toBe('.#.G\nA...');
    expect(env.maxTokens).toBe(12); // 2·(rows + cols)
    expect(make({ size: 3 }).observation).toEqual({ kind: 'features', size: 19 });
    expect(() => make({ size: 3, goal: [3, 0] })).toThrow(/env.goal: \[3, 0\] is outside the 3×3 grid/);
    expect(() => make({ size: 3, map: ['S.G'] })).toThrow(/either map or size/);
  });

  it('rejects malformed maps', () => {
    expect(() => make({ map: ['S..', '.G'] })).toThrow(/same length/);
    expect(() => make({ map: ['S?G'] })).toThrow(/unknown map character/);
  });
});

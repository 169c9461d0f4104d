// Schedules: each kind's value on hand-worked steps, warm-up, the ramp ending before the run does,
// and which settings a config may schedule (with the value at every extreme step checked).
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { UserError } from '../../src/base/errors.ts';
import { configToYaml, loadConfig, parseConfig } from '../../src/config/load.ts';
import { type Schedule, scheduleValue } from '../../src/config/schedule.ts';

const values = (s: Schedule, T: number) => Array.from({ length: T }, (_, i) => scheduleValue(s, i + 1, T));

describe('scheduleValue', () => {
  it('linear: from + (to − from)·(t−1)/(S−1), held at `to` once a shorter ramp ends', () => {
    expect(values({ schedule: 'linear', from: 1, to: 0 }, 5)).toEqual([1, 0.75, 0.5, 0.25, 0]);
    expect(values({ schedule: 'linear', from: 1, to: 0, steps: 3 }, 5)).toEqual([1, 0.5, 0, 0, 0]);
    expect(values({ schedule: 'linear', from: 0.2, to: 0.6 }, 1)).toEqual([0.6]); // a one-step run sits at the end
  });

  it('cosine: to + (from − to)·(1 + cos(π·u))/2', () => {
    const v = values({ schedule: 'cosine', from: 1, to: 0 }, 5);
    // u = 0, 1/4, 1/2, 3/4, 1: (1 + cos(πu))/2 = 1, 0.853553, 0.5, 0.146447, 0
    [1, 0.853553, 0.5, 0.146447, 0].forEach((x, i) => expect(v[i]).toBeCloseTo(x, 6));
    const w = values({ schedule: 'cosine', from: 0.01, to: 0.03, steps: 3 }, 4);
    [0.01, 0.02, 0.03, 0.03].forEach((x, i) => expect(w[i]).toBeCloseTo(x, 12));
  });

  it('exponential interpolates log-linearly: from·(to/from)^u', () => {
    const v = values({ schedule: 'exponential', from: 1, to: 0.01 }, 3);
    [1, 0.1, 0.01].forEach((x, i) => expect(v[i]).toBeCloseTo(x, 12));
  });

  it('step multiplies by to/from once every `every` steps, until step S', () => {
    expect(values({ schedule: 'step', from: 1, to: 0.5, every: 2 }, 7)).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]);
    // S = 4: (t−1) stops at 3, so ⌊3/2⌋ = 1 factor at most
    expect(values({ schedule: 'step', from: 1, to: 0.5, every: 2, steps: 4 }, 7)).toEqual([
      1, 1, 0.5, 0.5, 0.5, 0.5, 0.5,
    ]);
  });

  it('constant is `from`; warm-up multiplies by min(1, t/W)', () => {
    expect(values({ schedule: 'constant', from: 0.3 }, 3)).toEqual([0.3, 0.3, 0.3]);
    expect(values({ schedule: 'constant', from: 0.2, warmup: 4 }, 5)).toEqual([
      0.05, 0.1, 0.15000000000000002, 0.2, 0.2,
    ]);
    // warm-up over a linear ramp: 1·(1/2), 0.75·1, 0.5, …
    expect(values({ schedule: 'linear', from: 1, to: 0, warmup: 2 }, 5)).toEqual([0.5, 0.75, 0.5, 0.25, 0]);
  });
});

const QUICK = 'configs/quickstart.yaml';

function refusal(sets: string[]): string {
  try {
    loadConfig(QUICK, sets);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error(`accepted: ${sets.join(' ')}`);
}

describe('schedules in a config', () => {
  it('hold the step-1 value in place, list the schedule, and write it back in place in YAML', () => {
    const config = loadConfig(QUICK, [
      'grpo.entropy_coeff={schedule: linear, from: 0.01, to: 0}',
      'regularizers=[{name: entropy_bonus, coef: {schedule: cosine, from: 0.02, to: 0.001, warmup: 3}}]',
      'rollout.temperature={schedule: exponential, from: 1.2, to: 0.8}',
    ]);
    expect(config.grpo.entropy_coeff).toBe(0.01);
    expect(config.regularizers[0].coef).toBeCloseTo(0.02 / 3, 12);
    expect(config.rollout.temperature).toBe(1.2);
    expect(Object.keys(config.schedules ?? {}).sort()).toEqual([
      'grpo.entropy_coeff',
      'regularizers.0.coef',
      'rollout.temperature',
    ]);
    const yaml = YAML.parse(configToYaml(config));
    expect(yaml.grpo.entropy_coeff).toEqual({ schedule: 'linear', from: 0.01, to: 0 });
    expect(yaml.schedules).toBeUndefined();
    expect(parseConfig(yaml)).toEqual(config); // the resolved config loads back to the same config
    expect(parseConfig(config)).toEqual(config); // and a parsed config parses again unchanged
  });

  it.each([
    ['grpo.epochs={schedule: linear, from: 1, to: 4}', "'grpo.epochs' cannot be scheduled: it is an integer"],
    [
      'rollout.group_size={schedule: linear, from: 4, to: 8}',
      "'rollout.group_size' cannot be scheduled: of rollout, only temperature",
    ],
    [
      'grpo.loss_agg_mode={schedule: constant, from: 1}',
      "'grpo.loss_agg_mode' cannot be scheduled: it is not a number (a choice)",
    ],
    [
      'grpo.use_kl_loss={schedule: constant, from: 1}',
      "'grpo.use_kl_loss' cannot be scheduled: it is not a number (boolean)",
    ],
    [
      'eval.episodes={schedule: linear, from: 8, to: 16}',
      "'eval.episodes' cannot be scheduled: only the float settings",
    ],
    ['env.slip={schedule: linear, from: 0, to: 0.1}', "'env.slip' cannot be scheduled: only the float settings"],
    [
      'regularizers=[{name: entropy_bonus, adaptive: {schedule: constant, from: 1}}]',
      "'regularizers.0.adaptive' cannot be scheduled: it is not a number (boolean)",
    ],
    ['grpo.entropy_coeff={schedule: linear, from: 0.01}', "'grpo.entropy_coeff.to': needs 'to'"],
    ['grpo.entropy_coeff={schedule: linear, from: 0.01, to: 0, form: 1}', 'a schedule has: schedule, from, to'],
    [
      'grpo.entropy_coeff={schedule: exponential, from: 0.01, to: 0}',
      "'from' and 'to' must be non-zero and of one sign",
    ],
    ['grpo.entropy_coeff={schedule: step, from: 0.01, to: 0.005}', "'every' belongs to a step schedule"],
    ['grpo.entropy_coeff={schedule: wavy, from: 0.01, to: 0}', "'grpo.entropy_coeff.schedule'"],
    ['grpo.entropy_cof={schedule: constant, from: 0.01}', "did you mean 'grpo.entropy_coeff'"],
  ])('%s is refused in one line naming the key', (set, expected) => {
    const message = refusal([set]);
    expect(message).toContain(expected);
    expect(message).not.toContain('\n');
  });

  it("leave a method's own setting named `schedule` alone (CANON's weight schedule)", () => {
    const config = loadConfig(QUICK, ['regularizers=[{name: canon, schedule: anneal}]']);
    expect(config.regularizers[0].schedule).toBe('anneal');
    expect(config.schedules).toBeUndefined();
  });

  it('are checked at every extreme step: a ramp into a value its key does not allow names that step', () => {
    // steps = 20 in the quickstart: linear 0.01 → −0.01 ends below entropy_coeff's minimum 0 at step 20
    const message = refusal(['steps=20', 'grpo.entropy_coeff={schedule: linear, from: 0.01, to: -0.01}']);
    expect(message).toContain("config key 'grpo.entropy_coeff': got -0.01; allowed: >= 0");
    expect(message).toContain('at step 20 of 20');
    // the same ramp ending at step 10 of 20 is refused at step 10
    expect(refusal(['steps=20', 'grpo.entropy_coeff={schedule: linear, from: 0.01, to: -0.01, steps: 10}'])).toContain(
      'at step 10 of 20',
    );
    // a warm-up from 0 under a key that must stay above 1 fails at step 1
    expect(refusal(['grpo.clip_ratio_c={schedule: constant, from: 3, warmup: 10}'])).toContain(
      "'grpo.clip_ratio_c': got 0.3",
    );
  });
});

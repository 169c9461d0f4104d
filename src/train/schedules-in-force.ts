// The values of a run's schedules at one step, set where the step reads them: the working config's
// grpo, optim and rollout numbers in place (the optimizer and the step read them there each step),
// and a regularizer whose settings move is created again from its definition with this step's
// settings and its state carried over through getState/setState — the same way a resumed run
// restores it — so a regularizer reads scheduled values through its config with no code of its own.
// Schedules are functions of the step alone, so a resumed run continues them exactly.
import { scheduleValue } from '../config/schedule.ts';
import type { Config } from '../config/schema.ts';
import type { ActiveRegularizer } from '../core/regularizer-set.ts';

type Section = Record<string, unknown>;

/** Sets every schedule's value at step `t` (1-based) and returns them as `schedule/<key path>` metrics. */
export function applySchedules(config: Config, regularizers: ActiveRegularizer[], t: number): Record<string, number> {
  const metrics: Record<string, number> = {};
  const moved = new Set<number>();
  for (const [key, s] of Object.entries(config.schedules ?? {})) {
    const value = scheduleValue(s, t, config.steps);
    metrics[`schedule/${key}`] = value;
    const [section, a, b] = key.split('.');
    if (section === 'regularizers') {
      (config.regularizers[Number(a)] as Section)[b] = value;
      moved.add(Number(a));
    } else (config[section as 'grpo' | 'optim' | 'rollout'] as Section)[a] = value;
  }
  for (const i of moved) {
    const { name, ...settings } = config.regularizers[i];
    const reg = regularizers.find((r) => r.name === name);
    if (!reg) continue;
    const index = regularizers.indexOf(reg);
    const hooks = reg.definition.create(settings);
    const state = reg.hooks.getState?.();
    if (state !== undefined) hooks.setState?.(structuredClone(state));
    regularizers[index] = { ...reg, hooks };
  }
  return metrics;
}

// A schedule for one float setting: the value in force at step t (t = 1…T) of a run, written in a
// config in place of the number, e.g. `entropy_coeff: {schedule: cosine, from: 0.01, to: 0, warmup: 5}`.
// docs/schedules.md defines each kind; `scheduleValue` is that definition, step by step.
import { z } from 'zod';

export const SCHEDULE_KINDS = ['constant', 'linear', 'cosine', 'exponential', 'step'] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

export const scheduleSchema = z
  .object({
    /** How the value moves from `from` to `to`. */
    schedule: z.enum(SCHEDULE_KINDS),
    /** The value at step 1 (after warm-up). */
    from: z.number(),
    /** The value at step S (linear, cosine, exponential), or the factor `to/from` per `every` steps (step). */
    to: z.number().optional(),
    /** S: the ramp's length in steps (default: the run's steps); the value stays at the ramp's end after it. */
    steps: z.number().int().min(1).optional(),
    /** W: multiply by min(1, t/W) over the first W steps, a linear ramp up from 0. */
    warmup: z.number().int().min(1).optional(),
    /** step only: multiply by `to/from` once every this many steps. */
    every: z.number().int().min(1).optional(),
  })
  .strict()
  .refine((s) => s.schedule === 'constant' || s.to !== undefined, {
    message: "needs 'to' (every schedule but constant moves from 'from' to 'to')",
    path: ['to'],
  })
  .refine((s) => (s.schedule === 'step') === (s.every !== undefined), {
    message: "'every' belongs to a step schedule, and a step schedule needs it",
    path: ['every'],
  })
  .refine((s) => !['exponential', 'step'].includes(s.schedule) || (s.to !== undefined && s.from * s.to > 0), {
    message: "an exponential or step schedule multiplies: 'from' and 'to' must be non-zero and of one sign",
    path: ['to'],
  })
  .refine((s) => Number.isFinite(s.from) && (s.to === undefined || Number.isFinite(s.to)), {
    message: "'from' and 'to' must be finite numbers",
    path: ['from'],
  });

export type Schedule = z.infer<typeof scheduleSchema>;

/** Schedules by key path: `grpo.entropy_coeff`, `rollout.temperature`, `regularizers.0.coef`. */
export type Schedules = Record<string, Schedule>;

/** A value written in a config is a schedule when it is a mapping with `schedule` and `from` keys. */
export function isScheduleWritten(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'schedule' in value && 'from' in value;
}

/** The value of `s` at step `t` (1-based) of a run of `totalSteps` steps. */
export function scheduleValue(s: Schedule, t: number, totalSteps: number): number {
  const rampSteps = s.steps ?? totalSteps;
  const done = Math.min(t - 1, rampSteps - 1); // ramp steps taken, 0 … S−1
  const u = rampSteps > 1 ? done / (rampSteps - 1) : 1;
  const to = s.to ?? s.from;
  let value: number;
  switch (s.schedule) {
    case 'constant':
      value = s.from;
      break;
    case 'linear':
      value = s.from + (to - s.from) * u;
      break;
    case 'cosine':
      value = to + ((s.from - to) * (1 + Math.cos(Math.PI * u))) / 2;
      break;
    case 'exponential':
      value = s.from * (to / s.from) ** u;
      break;
    case 'step':
      value = s.from * (to / s.from) ** Math.floor(done / (s.every ?? 1));
      break;
  }
  return s.warmup !== undefined ? value * Math.min(1, t / s.warmup) : value;
}

/** The steps at which a schedule reaches its extremes over a run (each kind is monotone, warm-up rises). */
export function extremeSteps(s: Schedule, totalSteps: number): number[] {
  const ramp = Math.min(s.steps ?? totalSteps, totalSteps);
  const w = s.warmup !== undefined ? Math.min(s.warmup, totalSteps) : 1;
  return [...new Set([1, w, Math.min(w + 1, totalSteps), ramp, totalSteps])].sort((a, b) => a - b);
}

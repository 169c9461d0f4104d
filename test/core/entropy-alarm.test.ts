// The entropy alarm on hand-worked entropy sequences: fraction and nats bounds, patience, firing
// once per excursion and again after a recovery.
import { describe, expect, it } from 'vitest';
import { entropyAlarmSchema } from '../../src/config/schema.ts';
import { EntropyAlarm } from '../../src/core/entropy-alarm.ts';

function feed(alarm: EntropyAlarm, entropies: number[]) {
  return entropies.map((h, i) => alarm.observe(i + 1, h));
}

describe('EntropyAlarm', () => {
  it('fires after `patience` steps below a fraction of step 1, once per excursion', () => {
    const alarm = new EntropyAlarm(entropyAlarmSchema.parse({ below: 0.5, patience: 3 }));
    // step 1 = 1.0, so the bound is 0.5: below at steps 3, 4, 5 (fires at 5), back at 6, below 7–9 (fires at 9)
    const readings = feed(alarm, [1.0, 0.6, 0.45, 0.4, 0.3, 0.6, 0.4, 0.4, 0.4, 0.2]);
    expect(readings.map((r) => r.metrics['alarm/entropy_low'])).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 1, 1]);
    expect(readings.map((r) => r.fired)).toEqual([[], [], [], [], ['low'], [], [], [], ['low'], []]);
    expect(alarm.firstFired).toEqual({ low: 5 });
    expect(readings[0].metrics['alarm/entropy_high']).toBeUndefined(); // no upper bound configured
    expect(alarm.describe('low', 5, 0.3)).toBe(
      "entropy collapse alarm at step 5: rollout entropy 0.300 nats, below 0.500 (0.5 × step 1's 1.000) for 3 steps",
    );
  });

  it('takes absolute bounds in nats, and an upper bound for an explosion', () => {
    const alarm = new EntropyAlarm(entropyAlarmSchema.parse({ above: 1.2, below: 0.2, unit: 'nats', patience: 1 }));
    const readings = feed(alarm, [1.3, 1.0, 0.1]);
    expect(readings.map((r) => [r.metrics['alarm/entropy_low'], r.metrics['alarm/entropy_high']])).toEqual([
      [0, 1],
      [0, 0],
      [1, 0],
    ]);
    expect(alarm.firstFired).toEqual({ high: 1, low: 3 });
  });

  it('a value exactly at the bound is not past it; inverted bounds are refused', () => {
    const alarm = new EntropyAlarm(entropyAlarmSchema.parse({ below: 0.5, unit: 'nats', patience: 1 }));
    expect(feed(alarm, [0.5, 0.49]).map((r) => r.metrics['alarm/entropy_low'])).toEqual([0, 1]);
    expect(entropyAlarmSchema.safeParse({ below: 2, above: 1 }).success).toBe(false);
  });
});

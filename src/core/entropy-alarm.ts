// The entropy alarm: watches the rollout entropy step by step and fires when it has stayed past a
// bound (below: a collapse, above: an explosion) for `patience` consecutive steps. It fires once per
// excursion: `alarm/entropy_low` (or `_high`) is 1 from the firing step for as long as the entropy
// stays past the bound, 0 otherwise, and it may fire again after the entropy came back. Its state
// is a function of the entropies seen, so a resumed run rebuilds it from metrics.jsonl.
import type { EntropyAlarmConfig } from '../config/schema.ts';

export type AlarmSide = 'low' | 'high';

/** What one observed step gives: the alarm metrics, and the sides that fired at this step. */
export interface AlarmReading {
  metrics: Record<string, number>;
  fired: AlarmSide[];
}

interface SideState {
  /** Consecutive steps past the bound. */
  run: number;
  /** Fired during the current excursion. */
  firing: boolean;
}

export class EntropyAlarm {
  /** The first step's rollout entropy (the unit of `fraction` bounds). */
  private reference: number | undefined;
  private readonly sides: Record<AlarmSide, SideState> = {
    low: { run: 0, firing: false },
    high: { run: 0, firing: false },
  };
  /** The first step at which each side fired (status.json `alarms`). */
  readonly firstFired: Partial<Record<AlarmSide, number>> = {};

  constructor(private readonly config: EntropyAlarmConfig) {}

  /** The bound of `side` in nats, once the reference is known. */
  bound(side: AlarmSide): number | undefined {
    const b = side === 'low' ? this.config.below : this.config.above;
    if (b === undefined) return undefined;
    if (this.config.unit === 'nats') return b;
    return this.reference === undefined ? undefined : b * this.reference;
  }

  /** Step `step` (1-based) had rollout entropy `entropy`. */
  observe(step: number, entropy: number): AlarmReading {
    if (this.reference === undefined) this.reference = entropy;
    const metrics: Record<string, number> = {};
    const fired: AlarmSide[] = [];
    for (const side of ['low', 'high'] as const) {
      const bound = this.bound(side);
      if (bound === undefined) continue;
      const past = side === 'low' ? entropy < bound : entropy > bound;
      const s = this.sides[side];
      s.run = past ? s.run + 1 : 0;
      if (!past) s.firing = false;
      else if (!s.firing && s.run >= this.config.patience) {
        s.firing = true;
        fired.push(side);
        this.firstFired[side] ??= step;
      }
      metrics[`alarm/entropy_${side}`] = s.firing ? 1 : 0;
    }
    return { metrics, fired };
  }

  /** One warning line for `side` firing at `step`. */
  describe(side: AlarmSide, step: number, entropy: number): string {
    const bound = this.bound(side)!;
    const what = side === 'low' ? 'collapse' : 'explosion';
    const rel = side === 'low' ? 'below' : 'above';
    const unit =
      this.config.unit === 'fraction'
        ? ` (${side === 'low' ? this.config.below : this.config.above} × step 1's ${this.reference!.toFixed(3)})`
        : '';
    return (
      `entropy ${what} alarm at step ${step}: rollout entropy ${entropy.toFixed(3)} nats, ` +
      `${rel} ${bound.toFixed(3)}${unit} for ${this.config.patience} steps`
    );
  }
}

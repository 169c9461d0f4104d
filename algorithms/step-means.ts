// Per-step means of per-mini-batch metrics, for regularizers that compute their diagnostics
// inside the loss.

/**
 * Means over the mini-batches of one training step (the trainer logs regularizer metrics once per
 * step, after all mini-batches; this matches how it averages composeLoss's own metrics).
 */
export class StepMeans {
  private step = -1;
  private sums: Record<string, number> = {};
  private count = 0;

  add(step: number, values: Record<string, number>): void {
    if (step !== this.step) {
      this.step = step;
      this.sums = {};
      this.count = 0;
    }
    for (const [k, v] of Object.entries(values)) this.sums[k] = (this.sums[k] ?? 0) + v;
    this.count += 1;
  }

  means(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.sums)) out[k] = v / this.count;
    return out;
  }
}

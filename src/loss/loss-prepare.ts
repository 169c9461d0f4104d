// `entrolab loss --prepare`: run the regularizers' prepareBatch hooks on the given mini-batch before
// its loss, for the ones that rewrite a batch in place — Clip_B/V zero mask entries, CANON rewrites
// advantages — so their effect can be checked token by token. A hook that changes the rows (AEPO's
// row mixing) cannot be shown on the given rows and is refused.
import type { Metrics, TokenSelection } from '../../algorithms/regularizer.ts';
import type { Batch } from '../base/batch.ts';
import { UserError } from '../base/errors.ts';
import { type ActiveRegularizer, prefixMetrics } from '../core/regularizer-set.ts';
import type { StepPosition } from '../core/update.ts';

export interface PreparedBatch {
  batch: Batch;
  /** The hooks' metrics, prefixed with each regularizer's name. */
  metrics: Metrics;
  /** Per regularizer that zeroed mask entries: the tokens it took out of the loss. */
  selections: Record<string, TokenSelection>;
}

export function prepareLossBatch(
  input: Batch,
  regularizers: readonly ActiveRegularizer[],
  step: StepPosition,
): PreparedBatch {
  let batch = input;
  const metrics: Metrics = {};
  const selections: Record<string, TokenSelection> = {};
  for (const reg of regularizers) {
    if (!reg.hooks.prepareBatch) continue;
    const out = reg.hooks.prepareBatch(batch, { ...step, rng: reg.rng });
    if (out.value.rows !== batch.rows || out.value.width !== batch.width) {
      throw new UserError(
        `regularizer '${reg.name}' changes the batch's rows in prepareBatch (${batch.rows} → ${out.value.rows}), ` +
          'so its loss cannot be shown on the given rows; run without --prepare',
        'regularizers',
      );
    }
    const zeroed: number[] = [];
    for (let i = 0; i < batch.mask.length; i++) if (batch.mask[i] && !out.value.mask[i]) zeroed.push(i);
    if (zeroed.length > 0)
      selections[reg.name] = { label: 'prepareBatch: mask zeroed (out of the loss)', tokens: zeroed };
    Object.assign(metrics, prefixMetrics(reg.name, out.metrics));
    batch = out.value;
  }
  return { batch, metrics, selections };
}

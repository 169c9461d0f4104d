// Whitening over every valid token of the batch (verl masked_whiten with shift_mean): the
// REINFORCE++ estimators normalise tokens, not rows or groups.
import { UserError } from '../../src/base/errors.ts';

/**
 * (x − mean)/sqrt(var + 1e-8) · m, mean and unbiased variance over the valid tokens. verl raises
 * when the mask holds one valid token (its unbiased variance divides by zero); so does this, in one line.
 */
export function whitenTokens(values: ArrayLike<number>, mask: ArrayLike<number>, estimator: string): Float32Array {
  let n = 0;
  let sum = 0;
  for (let k = 0; k < mask.length; k++) {
    if (!mask[k]) continue;
    n += 1;
    sum += values[k];
  }
  if (n < 2) {
    throw new UserError(
      `${estimator} whitens advantages over the batch's valid tokens and needs at least 2; the batch has ${n} ` +
        "(verl: 'The sum of the mask is one, which can cause a division by zero')",
      'grpo.adv_estimator',
    );
  }
  const mean = sum / n;
  let sq = 0;
  for (let k = 0; k < mask.length; k++) if (mask[k]) sq += (values[k] - mean) ** 2;
  const scale = 1 / Math.sqrt(sq / (n - 1) + 1e-8);
  const out = new Float32Array(mask.length);
  for (let k = 0; k < mask.length; k++) out[k] = mask[k] ? (values[k] - mean) * scale : 0;
  return out;
}

// Pass@k training, "Pass@k Training for Adaptively Balancing Exploration and Exploitation" (arXiv
// 2503.19595's estimator as verl compute_grpo_passk_outcome_advantage writes it): only the best row of
// each group gets r_max − r_second (÷ (σ_g + ε) with grpo.norm_adv_by_std), every other row 0; ties at
// the top give 0. A group of one has no second reward and is refused.
import { UserError } from '../../src/base/errors.ts';
import type { AdvantageEstimator, AdvantageInputs, AdvantageSettings } from './estimator.ts';
import { broadcastRows, groupMembers } from './groups.ts';

/** Per-row pass@k advantages; the first row holding the maximum is "the best" (torch.topk's pick). */
export function passAtKAdvantages(
  scores: ArrayLike<number>,
  groupIds: ArrayLike<number>,
  opts: { normByStd: boolean; epsilon: number },
): Float64Array {
  const out = new Float64Array(scores.length);
  for (const rows of groupMembers(groupIds)) {
    if (rows.length < 2) {
      throw new UserError(
        `grpo_passk needs at least 2 samples per group; group ${groupIds[rows[0]]} has 1 (set rollout.group_size >= 2)`,
        'grpo.adv_estimator',
      );
    }
    const order = [...rows].sort((a, b) => scores[b] - scores[a] || a - b);
    const gap = scores[order[0]] - scores[order[1]];
    const mean = rows.reduce((s, i) => s + scores[i], 0) / rows.length;
    const std = Math.sqrt(rows.reduce((s, i) => s + (scores[i] - mean) ** 2, 0) / (rows.length - 1));
    out[order[0]] = opts.normByStd ? gap / (std + opts.epsilon) : gap;
  }
  return out;
}

function compute(inputs: AdvantageInputs, settings: AdvantageSettings): Float32Array {
  const opts = { normByStd: settings.normAdvByStd, epsilon: settings.epsilon };
  return broadcastRows(passAtKAdvantages(inputs.reward, inputs.groupId, opts), inputs.mask, inputs.width);
}

export const grpoPasskEstimator = {
  name: 'grpo_passk',
  summary: "only each group's best row gets r_max − r_second (÷ std with norm_adv_by_std); needs groups of >= 2",
  keys: ['norm_adv_by_std', 'epsilon'],
  compute,
} as const satisfies AdvantageEstimator<'grpo_passk'>;

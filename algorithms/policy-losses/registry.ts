// The policy losses `grpo.policy_loss` can name, in the order `entrolab list` shows them, and the
// one entry point composeLoss calls (docs/policy-losses.md). Adding a loss is adding one file to this
// folder and one line to POLICY_LOSS_LIST; a name listed twice is refused when this module loads.
import type * as tf from '@tensorflow/tfjs';
import { type AggMode, aggregateLoss } from '../aggregate.ts';
import { bapoLoss } from './bapo.ts';
import { cispoLoss } from './cispo.ts';
import { dppoKlLoss } from './dppo-kl.ts';
import { dppoTvLoss } from './dppo-tv.ts';
import { droLoss } from './dro.ts';
import { geoMeanLoss } from './geo-mean.ts';
import { gpgLoss } from './gpg.ts';
import { gppoLoss } from './gppo.ts';
import { gspoLoss } from './gspo.ts';
import type { PolicyLoss, PolicyLossInputs, PolicyLossOutput } from './policy-loss.ts';
import { sapoLoss } from './sapo.ts';
import { vanillaLoss } from './vanilla.ts';

/** The losses in `entrolab list` order, `vanilla` first. */
export const POLICY_LOSS_LIST = [
  vanillaLoss,
  gspoLoss,
  sapoLoss,
  cispoLoss,
  geoMeanLoss,
  gpgLoss,
  dppoTvLoss,
  dppoKlLoss,
  droLoss,
  gppoLoss,
  bapoLoss,
] as const;

export type PolicyLossName = (typeof POLICY_LOSS_LIST)[number]['name'];

/** Every loss's name, `vanilla` first (the config schema's enum). */
export const POLICY_LOSS_NAMES = POLICY_LOSS_LIST.map((l) => l.name) as [PolicyLossName, ...PolicyLossName[]];

/** name → loss. */
export const POLICY_LOSSES: Readonly<Record<PolicyLossName, PolicyLoss>> = (() => {
  const table: Record<string, PolicyLoss> = Object.create(null);
  for (const loss of POLICY_LOSS_LIST as readonly PolicyLoss[]) {
    if (table[loss.name]) throw new Error(`policy loss '${loss.name}' is listed twice`);
    table[loss.name] = loss;
  }
  return table as Record<PolicyLossName, PolicyLoss>;
})();

/** The loss `name`'s output on one mini-batch; `settings` is its `grpo.<name>` block (if it has one). */
export function computePolicyLoss(name: PolicyLossName, inputs: PolicyLossInputs, settings: unknown): PolicyLossOutput {
  const loss = POLICY_LOSSES[name];
  if (!loss) throw new Error(`unknown policy loss '${name}' (one of ${POLICY_LOSS_NAMES.join(', ')})`);
  return loss.compute(inputs, settings);
}

/** The PG loss of `name` from its per-token loss (after token weights): its own reduction or its fixed mode. */
export function aggregatePolicyLoss(
  name: PolicyLossName,
  tokenLoss: tf.Tensor1D,
  mask: Float32Array,
  rows: number,
  width: number,
  runMode: AggMode,
): tf.Scalar {
  const loss = POLICY_LOSSES[name];
  if (loss.aggregate) return loss.aggregate(tokenLoss, mask, rows, width);
  return aggregateLoss(tokenLoss, mask, rows, width, loss.fixedAggMode ?? runMode);
}

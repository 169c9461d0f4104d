// The config rules of `grpo.policy_loss` (docs/policy-losses.md "Composition"), written once for
// every command: a loss that fixes its aggregation sets the run's loss_agg_mode (a different one written
// in the config is refused), a regularizer that replaces the policy loss needs `policy_loss: vanilla`,
// and GMPO, whose loss is per row, refuses per-token weights.
import type { PolicyLoss } from '../../algorithms/policy-losses/policy-loss.ts';
import { POLICY_LOSSES } from '../../algorithms/policy-losses/registry.ts';
import type { Regularizer } from '../../algorithms/regularizer.ts';
import { UserError } from '../base/errors.ts';

type Raw = Record<string, unknown>;

function lossNamed(name: unknown): PolicyLoss | undefined {
  return typeof name === 'string' ? (POLICY_LOSSES as Record<string, PolicyLoss | undefined>)[name] : undefined;
}

/**
 * The raw top-level config with `grpo.loss_agg_mode` set to the loss's fixed mode when the config
 * leaves it out; a config that writes another mode is refused in one line.
 */
export function fillFixedAggregation(top: Raw, file: string): Raw {
  const grpo = top.grpo;
  if (typeof grpo !== 'object' || grpo === null || Array.isArray(grpo)) return top;
  const loss = lossNamed((grpo as Raw).policy_loss);
  const fixed = loss?.fixedAggMode;
  if (!loss || !fixed) return top;
  const given = (grpo as Raw).loss_agg_mode;
  if (given === undefined) return { ...top, grpo: { ...grpo, loss_agg_mode: fixed } };
  if (given !== fixed) {
    throw new UserError(
      `config key 'grpo.loss_agg_mode': policy_loss ${loss.name} fixes its aggregation to ${fixed}, ` +
        `got '${String(given)}'; leave loss_agg_mode out or set it to ${fixed} (docs/policy-losses.md)`,
      file,
    );
  }
  return top;
}

/** Refuses a loss-replacing regularizer beside a non-vanilla loss, and token weights beside GMPO. */
export function checkPolicyLossComposition(
  policyLoss: string,
  regularizers: readonly { entry: { name: string }; hooks: Regularizer }[],
  file: string,
): void {
  if (policyLoss === 'vanilla') return;
  const owner = regularizers.find((r) => r.hooks.policyLoss);
  if (owner) {
    throw new UserError(
      `config key 'grpo.policy_loss': regularizer '${owner.entry.name}' replaces the policy loss, ` +
        `so it needs policy_loss: vanilla, got '${policyLoss}'; drop one of them`,
      file,
    );
  }
  const weigher = regularizers.find((r) => r.hooks.tokenWeights);
  if (weigher && lossNamed(policyLoss)?.acceptsTokenWeights === false) {
    throw new UserError(
      `config key 'grpo.policy_loss': ${policyLoss}'s loss is one value per row, so regularizer ` +
        `'${weigher.entry.name}' (per-token weights) cannot apply; drop one of them`,
      file,
    );
  }
}

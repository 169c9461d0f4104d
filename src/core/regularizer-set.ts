// The regularizers of one run or one `entrolab loss` call: validated by the config's one validator,
// created from their definitions, each with its own named random stream, saved to and restored
// from checkpoints, and the metrics their hooks return prefixed with their names.

import type {
  Metrics,
  Reductions,
  Regularizer,
  RegularizerDefinition,
  RunShape,
} from '../../algorithms/regularizer.ts';
import { UserError } from '../base/errors.ts';
import { Rng, type RngState } from '../base/rng.ts';
import { checkRegularizers } from '../config/load.ts';

export interface ActiveRegularizer {
  readonly name: string;
  /** What the hooks were created from (`needsReference`, `needsLogPolicy`). */
  readonly definition: RegularizerDefinition;
  readonly hooks: Regularizer;
  /** Its own stream: enabling another regularizer never changes this one's draws. */
  readonly rng: Rng;
}

/** What a checkpoint keeps per regularizer. */
export interface SavedRegularizer {
  rng: RngState;
  state?: unknown;
}

/** The stream of regularizer `name` in a run with `seed`, fresh or continued from `state`. */
export function regularizerStream(seed: number, name: string, state?: RngState): Rng {
  return new Rng(`entrolab:${seed}:regularizer:${name}`, state);
}

export interface CreateOptions {
  seed: number;
  /** Where the list came from, for error messages (a config file, or 'regularizers'). */
  where: string;
  /** Restore streams and controller state from a checkpoint's `regularizers` record. */
  saved?: Record<string, SavedRegularizer>;
  /** The checkpoint file `saved` came from, for error messages. */
  savedFrom?: string;
}

/** Validate `entries` (same rules and messages as config loading) and create each regularizer. */
export function createRegularizers(entries: unknown, opts: CreateOptions): ActiveRegularizer[] {
  return checkRegularizers(entries, opts.where).map(({ entry: { name }, definition, hooks }) => {
    const saved = opts.saved?.[name];
    if (saved?.state !== undefined && hooks.setState) {
      try {
        hooks.setState(saved.state);
      } catch (e) {
        throw new UserError(
          `regularizer '${name}': cannot restore its state: ${(e as Error).message}`,
          opts.savedFrom ?? 'checkpoint',
        );
      }
    }
    return { name, definition, hooks, rng: regularizerStream(opts.seed, name, saved?.rng) };
  });
}

export function saveRegularizers(active: readonly ActiveRegularizer[]): Record<string, SavedRegularizer> {
  const out: Record<string, SavedRegularizer> = {};
  for (const reg of active)
    out[reg.name] = { rng: reg.rng.state(), ...(reg.hooks.getState ? { state: reg.hooks.getState() } : {}) };
  return out;
}

/** Start-up warnings, one line each, prefixed with the regularizer's name. */
export function regularizerWarnings(active: readonly ActiveRegularizer[], run: RunShape): string[] {
  return active.flatMap((reg) => (reg.hooks.warnings?.(run) ?? []).map((w) => `${reg.name}: ${w}`));
}

/**
 * A hook's metrics under the regularizer's name (`frac` → `clip_cov/frac`). A key with '/' is a bug
 * in the regularizer: it would write outside its namespace, so it is refused.
 */
export function prefixMetrics(name: string, metrics: Metrics | undefined): Metrics {
  const out: Metrics = {};
  for (const [key, value] of Object.entries(metrics ?? {})) {
    if (key.includes('/')) {
      throw new Error(
        `regularizer '${name}' returned metric '${key}': keys are relative to the regularizer ` +
          `(logged as '${name}/<key>') and may not contain '/'`,
      );
    }
    out[`${name}/${key}`] = value;
  }
  return out;
}

/** A hook's reductions under the regularizer's name, keyed as prefixMetrics names its metrics. */
export function prefixReductions(name: string, reduce: Reductions | undefined): Reductions {
  const out: Record<string, Reductions[string]> = {};
  for (const [key, how] of Object.entries(reduce ?? {})) out[`${name}/${key}`] = how;
  return out;
}

// Actions named in a regularizer's config: a string is an action's name (a text task's character,
// e.g. "=", or `<eos>`; a gridworld's move), an integer its id. ARES's trigger tokens and PEAR's
// end-of-thinking delimiter are given this way; the step tells the hooks the names
// (StepInfo.actionNames), `entrolab loss` reads them from the batch file's `action_names`.
import { z } from 'zod';
import { UserError } from '../src/base/errors.ts';

export const actionSymbolSchema = z.union([z.string().min(1), z.number().int().min(0)]);
export type ActionSymbol = z.infer<typeof actionSymbolSchema>;

/**
 * The action ids of `symbols`, in order. `key` names the config key in the one-line error for a
 * name no action has, an id outside the action space, or a name given where no names are known.
 */
export function resolveActions(
  symbols: readonly ActionSymbol[],
  names: readonly string[] | undefined,
  numActions: number,
  key: string,
): number[] {
  return symbols.map((s) => {
    if (typeof s === 'number') {
      if (numActions === 0 || s < numActions) return s; // 0: the action space is unknown (a loss file without distributions)
      throw new UserError(`action id ${s} is outside the action space (0 <= id < ${numActions})`, key);
    }
    if (!names) {
      throw new UserError(
        `'${s}' is an action name, but the action names are unknown here; give action ids (integers), ` +
          "or the batch file's 'action_names'",
        key,
      );
    }
    const id = names.indexOf(s);
    if (id >= 0) return id;
    throw new UserError(`'${s}' is not an action of this environment (its actions: ${names.join(' ')})`, key);
  });
}

// What train and sft do before their run starts: the validated config and run directory, the
// refusal of a changed plugin on --resume, and the Ctrl-C / SIGTERM handlers (src/cli/interrupt.ts)
// that turn a signal into the run's abort signal.

import type { Config } from '../../config/schema.ts';
import { loadedPlugins } from '../../plugins/load-plugins.ts';
import { assertPluginsUnchanged } from '../../run/plugins-unchanged.ts';
import { abortOnSignals } from '../interrupt.ts';
import { type RunArgs, resolveRun } from './run-options.ts';

export interface StartedRun {
  config: Config;
  runDir: string;
  /** One line to stderr. */
  log: (line: string) => void;
  signal: AbortSignal;
  /** Removes the signal handlers; call when the run has returned. */
  removeHandlers: () => void;
}

export async function startRun(args: RunArgs): Promise<StartedRun> {
  const { config, runDir } = await resolveRun(args);
  if (args.resume) assertPluginsUnchanged(runDir, loadedPlugins());
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const controller = new AbortController();
  const removeHandlers = abortOnSignals(controller, log);
  return { config, runDir, log, signal: controller.signal, removeHandlers };
}

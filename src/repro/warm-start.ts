// The SFT warm starts of the token-level claims: one `entrolab sft` run per output directory
// (<out>/warm-starts/<name>, seed 0 of configs/repro/<name>.yaml), made before the first sweep that
// needs it and shared by every seed of every claim on that task, as a language model's
// pretraining is. A finished one is kept; an interrupted one resumes.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { UserError } from '../base/errors.ts';
import { isDone } from '../run/run-dir.ts';
import { readRunState } from '../run/run-state.ts';
import { DEFAULT_TRAIN_COMMAND } from '../sweep/runner.ts';
import { overridesToSets } from '../sweep/spec.ts';
import { QUICK_SFT_SET } from './registry.ts';

export const WARM_START_DIR = 'warm-starts';

export const warmStartDir = (out: string, name: string) => path.resolve(out, WARM_START_DIR, name);

export interface WarmStartOptions {
  out: string;
  quick: boolean;
  /** configs/repro/ */
  configDir: string;
  trainArgs?: string[];
  signal?: AbortSignal;
  log: (line: string) => void;
}

/** Makes <out>/warm-starts/<name> unless it is finished; returns its directory (the init_from). */
export async function ensureWarmStart(name: string, options: WarmStartOptions): Promise<string> {
  const dir = warmStartDir(options.out, name);
  const state = readRunState(dir);
  if (isDone(state?.status.state)) return dir;
  const [cmd, ...prefix] = DEFAULT_TRAIN_COMMAND;
  const sets = options.quick ? overridesToSets(Object.entries(QUICK_SFT_SET)) : [];
  const argv = [
    ...prefix,
    'sft',
    path.join(options.configDir, `${name}.yaml`),
    '--out',
    path.dirname(dir),
    '--quiet',
    ...(state ? ['--resume'] : []),
    ...sets.flatMap((s) => ['--set', s]),
    ...(options.trainArgs ?? []),
  ];
  options.log(`warm start '${name}' into ${dir}`);
  const started = Date.now();
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    const stop = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', stop, { once: true });
    child.on('error', reject);
    child.on('close', (c) => {
      options.signal?.removeEventListener('abort', stop);
      if (c !== 0 && !options.signal?.aborted) options.log(stderr.trim());
      resolve(c ?? 1);
    });
  });
  if (options.signal?.aborted) return dir;
  if (code !== 0) throw new UserError(`the warm start '${name}' failed (exit ${code}); see ${dir}`, 'repro');
  options.log(`warm start '${name}' done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

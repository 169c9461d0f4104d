// Cluster job files: a Slurm array script (emit-slurm.ts) or a Kubernetes Indexed Job
// (emit-k8s.ts) whose task i runs `entrolab sweep <file> --only i` — the same run ids as a local
// sweep, the same idempotent skip/resume, no scheduler of our own. This file holds what both
// share: the resources a task asks for, validated once, and the task's command line.
import { UserError } from '../base/errors.ts';

/** Measured on one gridworld run (the shipped ablation): what the documented defaults rest on. */
export const MEASURED_RUN = { cpus: 1.1, memGb: 0.55 };

export interface TaskResources {
  /** At most this many tasks at once (Slurm `%P`, Kubernetes `parallelism`). */
  parallel: number;
  /** CPUs per task. */
  cpus: number;
  /** Memory per task in MiB. */
  memMb: number;
  /** Wall-clock limit per task in seconds. */
  timeSeconds: number;
}

export interface EmitOptions extends TaskResources {
  /** The sweep's name (job name, sweep directory name). */
  name: string;
  /** Number of runs (array size / completions). */
  runs: number;
  /** Hash of the expanded run list; tasks refuse to run when the sweep no longer has it. */
  runsHash: string;
  /** Extra arguments for each task's `entrolab sweep` (e.g. `--backend wasm`). */
  extraArgs: string[];
}

export interface ResourceFlags {
  parallel?: number;
  cpus: number;
  mem: string;
  time: string;
}

export const DEFAULT_RESOURCES = { cpus: 1, mem: '2G', time: '02:00:00' };

function wholeNumber(value: number, flag: string, min: number): number {
  if (!Number.isInteger(value) || value < min)
    throw new UserError(`must be a whole number >= ${min}, got ${value}`, flag);
  return value;
}

/** `512M`, `2G` (Slurm's units, powers of 1024). */
export function parseMem(text: string): number {
  const match = /^(\d+)([MG])$/i.exec(text.trim());
  if (!match || Number(match[1]) === 0) throw new UserError(`expected a size like 512M or 2G, got '${text}'`, '--mem');
  return Number(match[1]) * (match[2].toUpperCase() === 'G' ? 1024 : 1);
}

/** Slurm's time formats: minutes, `HH:MM:SS` or `D-HH:MM:SS`. */
export function parseTime(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed) && Number(trimmed) > 0) return Number(trimmed) * 60;
  const match = /^(?:(\d+)-)?(\d{1,2}):([0-5]\d):([0-5]\d)$/.exec(trimmed);
  const seconds = match
    ? Number(match[1] ?? 0) * 86400 + Number(match[2]) * 3600 + Number(match[3]) * 60 + Number(match[4])
    : 0;
  if (seconds <= 0)
    throw new UserError(`expected minutes, HH:MM:SS or D-HH:MM:SS (more than zero), got '${text}'`, '--time');
  return seconds;
}

export function parseResources(flags: ResourceFlags, runs: number): TaskResources {
  const parallel = flags.parallel === undefined ? runs : wholeNumber(flags.parallel, '--parallel', 1);
  return {
    parallel: Math.min(parallel, runs),
    cpus: wholeNumber(flags.cpus, '--cpus', 1),
    memMb: parseMem(flags.mem),
    timeSeconds: parseTime(flags.time),
  };
}

/** `HH:MM:SS` (or `D-HH:MM:SS`) for Slurm. */
export function slurmTime(seconds: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const days = Math.floor(seconds / 86400);
  const rest = seconds % 86400;
  const hms = `${pad(Math.floor(rest / 3600))}:${pad(Math.floor((rest % 3600) / 60))}:${pad(rest % 60)}`;
  return days > 0 ? `${days}-${hms}` : hms;
}

/** One line for the job file's header. */
export function resourceNote(o: TaskResources): string {
  return (
    `one run measured ~${MEASURED_RUN.cpus} CPU and ~${MEASURED_RUN.memGb} GB (gridworld); ` +
    `asked per task: ${o.cpus} CPU, ${o.memMb} MiB, ${slurmTime(o.timeSeconds)}`
  );
}

/** `sweep` arguments of task `index` (a shell or Kubernetes variable reference). */
export function taskArgs(o: EmitOptions, sweepFile: string, out: string, index: string): string[] {
  return ['sweep', sweepFile, '--out', out, '--only', index, '--runs-hash', o.runsHash, ...o.extraArgs];
}

/** A word for bash, single-quoted unless it is plainly safe. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./=:,+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

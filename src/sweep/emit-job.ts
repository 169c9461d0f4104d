// Writing a sweep's cluster job into its sweep directory: the Slurm array script (with the sweep
// state it resumes against and the log directory Slurm will not create) or the Kubernetes
// Indexed Job, and the command that submits it. What each file holds is in emit-slurm.ts and
// emit-k8s.ts; this is the part that touches the disk.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { UserError } from '../base/errors.ts';
import { writeFileAtomic } from '../run/atomic-write.ts';
import { parseResources, type ResourceFlags, shellQuote } from './emit.ts';
import { k8sManifest } from './emit-k8s.ts';
import { slurmScript } from './emit-slurm.ts';
import { LOG_DIR, prepareState, sweepRunsHash, writeSweepState } from './manifest.ts';
import type { Sweep } from './spec.ts';

export interface EmitJobOptions extends ResourceFlags {
  kind: 'slurm' | 'k8s';
  /** The parent directory of the sweep directory, as the tasks pass it to `--out`. */
  out: string;
  /** Extra arguments for each task's `entrolab sweep` (e.g. `--backend wasm`). */
  extraArgs: string[];
  /** slurm: node on the compute nodes, the entrolab launcher, shell lines run first, requeue. */
  node: string;
  cli: string;
  setup: string[];
  requeue: boolean;
  /** k8s: the image holding the repository and the claim the runs go to. */
  image: string;
  pvc: string;
}

export interface EmittedJob {
  /** Absolute path of the job file. */
  file: string;
  /** The shell command that submits it. */
  submit: string;
  /** The sweep directory as `entrolab report` names it afterwards (shell-quoted). */
  reportDir: string;
}

/**
 * The pods read a copy of the base config from the ConfigMap, where a plugin path relative to it, or
 * a package looked up beside it, does not resolve; an absolute path must exist in the image.
 */
function assertPodPlugins(baseText: string, baseFile: string): void {
  const plugins = (YAML.parse(baseText) as { plugins?: unknown } | null)?.plugins;
  const relative = Array.isArray(plugins)
    ? plugins.find((p) => typeof p !== 'string' || !path.isAbsolute(p))
    : undefined;
  if (relative === undefined) return;
  throw new UserError(
    `plugin ${JSON.stringify(relative)}: Kubernetes pods read a copy of the base config, where it does not ` +
      'resolve; name the plugin in the sweep file or with --plugin (passed by absolute path, which the image must hold)',
    baseFile,
  );
}

export function emitJob(sweep: Sweep, sweepDir: string, o: EmitJobOptions): EmittedJob {
  const resources = parseResources(o, sweep.runs.length);
  const common = {
    ...resources,
    name: sweep.name,
    runs: sweep.runs.length,
    runsHash: sweepRunsHash(sweep),
    extraArgs: o.extraArgs,
  };
  if (o.kind === 'slurm') {
    const state = prepareState(sweep, sweepDir);
    const absoluteDir = path.resolve(sweepDir);
    const file = path.join(absoluteDir, 'sweep.slurm.sh');
    const script = slurmScript({
      ...common,
      node: o.node,
      cli: o.cli,
      sweepFile: sweep.file,
      out: path.resolve(o.out),
      sweepDir: absoluteDir,
      setup: o.setup,
      requeue: o.requeue,
    });
    writeSweepState(sweepDir, state);
    // Slurm does not create the directory of --output files.
    fs.mkdirSync(path.join(sweepDir, LOG_DIR), { recursive: true });
    writeFileAtomic(file, script);
    fs.chmodSync(file, 0o755);
    return { file, submit: `sbatch ${shellQuote(file)}`, reportDir: shellQuote(absoluteDir) };
  }
  const [sweepText, baseText] = [fs.readFileSync(sweep.file, 'utf8'), fs.readFileSync(sweep.base, 'utf8')];
  assertPodPlugins(baseText, sweep.base);
  const file = path.resolve(sweepDir, 'sweep.k8s.yaml');
  writeFileAtomic(file, k8sManifest({ ...common, sweepText, baseText, image: o.image, pvc: o.pvc }));
  return { file, submit: `kubectl apply -f ${shellQuote(file)}`, reportDir: `'<the claim's mount>/${sweep.name}'` };
}

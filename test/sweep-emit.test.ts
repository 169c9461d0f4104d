import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { k8sManifest, slurmScript, type EmitOptions } from '../src/sweep/emit.ts';

const options: EmitOptions = {
  sweepFile: 'configs/sweeps/ablation.yaml',
  out: 'runs',
  name: 'ablation',
  runs: 21,
  parallel: 4,
  extraArgs: ['--backend', 'wasm', '--no-report'],
  workdir: '/home/me/entrolab',
  image: 'registry.example/entrolab:1',
  pvc: 'runs-claim',
};

describe('Slurm emitter', () => {
  it('writes an array over the run indices that calls sweep --only', () => {
    const script = slurmScript(options);
    const lines = script.split('\n');
    expect(lines[0]).toBe('#!/bin/bash');
    expect(lines).toContain('#SBATCH --array=0-20%4');
    expect(lines).toContain('#SBATCH --chdir=/home/me/entrolab');
    expect(lines).toContain('#SBATCH --output=runs/ablation/logs/slurm-%A_%a.log');
    expect(lines).toContain('node bin/entrolab.js sweep configs/sweeps/ablation.yaml --out runs --only "$SLURM_ARRAY_TASK_ID" --backend wasm --no-report');
  });

  it('quotes paths with spaces', () => {
    expect(slurmScript({ ...options, workdir: "/home/me/my runs", sweepFile: "a b.yaml" })).toContain("--chdir='/home/me/my runs'");
    expect(slurmScript({ ...options, sweepFile: 'a b.yaml' })).toContain("sweep 'a b.yaml' --out");
  });
});

describe('Kubernetes emitter', () => {
  it('writes an Indexed Job whose pods pass their completion index to --only', () => {
    const job = YAML.parse(k8sManifest(options));
    expect(job.kind).toBe('Job');
    expect(job.metadata.name).toBe('entrolab-ablation');
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 21, parallelism: 4 });
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const container = pod.containers[0];
    expect(container.image).toBe('registry.example/entrolab:1');
    expect(container.args).toEqual([
      'bin/entrolab.js', 'sweep', 'configs/sweeps/ablation.yaml', '--out', 'runs', '--only', '$(JOB_COMPLETION_INDEX)', '--backend', 'wasm', '--no-report',
    ]);
    expect(container.volumeMounts[0].mountPath).toBe('/app/runs');
    expect(pod.volumes[0].persistentVolumeClaim.claimName).toBe('runs-claim');
    expect(YAML.parse(k8sManifest({ ...options, out: '/data/runs' })).spec.template.spec.containers[0].volumeMounts[0].mountPath).toBe('/data/runs');
  });

  it('makes a valid Job name from any sweep name', () => {
    expect(YAML.parse(k8sManifest({ ...options, name: 'KL_cov.ratio' })).metadata.name).toBe('entrolab-kl-cov-ratio');
  });
});

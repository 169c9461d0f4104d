// A Kubernetes Indexed Job for a sweep, self-consistent: the sweep file and its base config
// travel in a ConfigMap mounted at CONFIG_MOUNT (the image needs only the repository), and
// everything a task writes — run directories, sweep.json, tasks/, logs/ — goes to the
// PersistentVolumeClaim mounted at RUNS_MOUNT. More than one pod at a time on several nodes
// needs a ReadWriteMany claim (docs/sweeps.md).
import YAML from 'yaml';
import { type EmitOptions, resourceNote, taskArgs } from './emit.ts';

export const CONFIG_MOUNT = '/etc/entrolab';
export const RUNS_MOUNT = '/runs';
/** Where the image holds the repository (with node_modules). */
export const APP_DIR = '/app';

export interface K8sOptions extends EmitOptions {
  /** The sweep file's text and its base config's text, as they are on this machine. */
  sweepText: string;
  baseText: string;
  /** Container image holding the repository at APP_DIR. */
  image: string;
  /** PersistentVolumeClaim mounted at RUNS_MOUNT. */
  pvc: string;
}

/** A DNS label from any sweep name. */
export function jobName(name: string): string {
  return `entrolab-${name.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 56).replace(/-+$/, '');
}

/** The sweep file as the pods read it: its base next to it, its name fixed, its plugins passed as --plugin. */
function podSweepText(o: K8sOptions): string {
  const doc = YAML.parseDocument(o.sweepText);
  doc.set('name', o.name);
  doc.set('base', 'base.yaml');
  doc.delete('plugins');
  return String(doc);
}

export function k8sObjects(o: K8sOptions): [Record<string, unknown>, Record<string, unknown>] {
  const name = jobName(o.name);
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${name}-sweep`, labels: { app: 'entrolab', sweep: name } },
    data: { 'sweep.yaml': podSweepText(o), 'base.yaml': o.baseText },
  };
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { app: 'entrolab', sweep: name } },
    spec: {
      completionMode: 'Indexed',
      completions: o.runs,
      parallelism: o.parallel,
      // a failed pod is retried (from the run's checkpoint) twice per index (Kubernetes >= 1.29)
      backoffLimitPerIndex: 2,
      maxFailedIndexes: o.runs,
      template: {
        metadata: { labels: { app: 'entrolab', sweep: name } },
        spec: {
          restartPolicy: 'Never',
          // the time limit: the pod gets SIGTERM, its trainer checkpoints the step in flight
          activeDeadlineSeconds: o.timeSeconds,
          terminationGracePeriodSeconds: 60,
          containers: [
            {
              name: 'train',
              image: o.image,
              workingDir: APP_DIR,
              command: ['node', `${APP_DIR}/bin/entrolab.js`],
              // Kubernetes expands $(VAR) in args from the container's environment
              args: taskArgs(o, `${CONFIG_MOUNT}/sweep.yaml`, RUNS_MOUNT, '$(JOB_COMPLETION_INDEX)'),
              resources: {
                requests: { cpu: String(o.cpus), memory: `${o.memMb}Mi` },
                limits: { memory: `${o.memMb}Mi` },
              },
              volumeMounts: [
                { name: 'runs', mountPath: RUNS_MOUNT },
                { name: 'sweep', mountPath: CONFIG_MOUNT, readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'runs', persistentVolumeClaim: { claimName: o.pvc } },
            { name: 'sweep', configMap: { name: `${name}-sweep` } },
          ],
        },
      },
    },
  };
  return [configMap, job];
}

export function k8sManifest(o: K8sOptions): string {
  const [configMap, job] = k8sObjects(o);
  const header = [
    `# entrolab sweep '${o.name}': ${o.runs} runs as a Kubernetes Indexed Job (pod i runs sweep index i).`,
    '# Apply with: kubectl apply -f <this file>. Re-applying after deleting the Job skips finished runs',
    '# and resumes the others from their checkpoints.',
    `# The image must hold the repository (with node_modules) at ${APP_DIR}; the claim '${o.pvc}' is mounted at`,
    `# ${RUNS_MOUNT} and receives ${RUNS_MOUNT}/${o.name}/ (runs, sweep.json, logs/).` +
      (o.parallel > 1 ? ' parallelism > 1 on several nodes needs a ReadWriteMany claim.' : ''),
    `# Emitted for the run list with hash ${o.runsHash}; pods refuse to run a sweep that differs.`,
    `# Resources: ${resourceNote(o)}.`,
  ];
  return `${header.join('\n')}\n${YAML.stringify(configMap)}---\n${YAML.stringify(job)}`;
}

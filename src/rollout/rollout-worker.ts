// The body of one rollout worker thread (`rollout.workers` > 1; the pool is rollout-workers.ts). It
// imports the plugins the main thread imported, selects the main thread's backend, builds the env
// factory and a sampling copy of the policy from the run's config, and then, for every step,
// loads the weights it is sent and runs the same runEpisodes as the main thread over its shard of
// groups, each group on its own streams (group-streams.ts). Replies go back on a MessagePort the
// main thread reads synchronously once the shared flag says a reply is there.
import type { MessagePort } from 'node:worker_threads';
import { workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import '../../envs/registry.ts';
import '../policies/registry.ts';
import type { EnvFactory } from '../../envs/env.ts';
import { ENVS } from '../../envs/registry.ts';
import { selectBackend } from '../backend/backend.ts';
import type { BackendChoice } from '../backend/backend-choice.ts';
import { UserError } from '../base/errors.ts';
import { Rng } from '../base/rng.ts';
import type { Config } from '../config/schema.ts';
import { loadPlugins } from '../plugins/load-plugins.ts';
import type { Policy } from '../policies/policy.ts';
import { POLICIES } from '../policies/registry.ts';
import { packEpisodes, packedBuffers } from './episode-transfer.ts';
import { groupStreams } from './group-streams.ts';
import { type GroupRequest, runEpisodes } from './rollout.ts';

/** What the pool starts each worker with. */
export interface WorkerStart {
  index: number;
  config: Config;
  /** The policy's describe() (a transformer's tokenizer). */
  described: Record<string, unknown>;
  backend: string;
  /** Plugin files to import, in order. */
  plugins: string[];
  port: MessagePort;
  /** flag[index] is set to the number of the worker's latest reply (-1 when the thread exits). */
  flag: Int32Array;
}

/** One step's shard. */
export interface ShardRequest {
  seq: number;
  step: number;
  groups: GroupRequest[];
  weights: Float32Array[];
  keepLogPolicy: boolean;
}

/** A reply: `ready` after start-up, then one per request; a failure carries its message. */
export type WorkerReply =
  | { seq: number; ok: true; packed?: ReturnType<typeof packEpisodes> }
  | { seq: number; ok: false; message: string; user: boolean };

const start = workerData as WorkerStart;
const { port, flag, index } = start;

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
  Atomics.store(flag, index, message.seq);
  Atomics.notify(flag, index);
}

function failure(seq: number, e: unknown): WorkerReply {
  const message = e instanceof Error ? e.message : String(e);
  return { seq, ok: false, message, user: e instanceof UserError };
}

async function setUp(): Promise<{ envFactory: EnvFactory; policy: Policy }> {
  await loadPlugins(start.plugins.map((file) => ({ ref: file, baseDir: '/', where: 'plugins' })));
  await selectBackend(start.backend as BackendChoice);
  const { name, ...envConfig } = start.config.env;
  const { kind, ...policyConfig } = start.config.policy;
  const where = 'rollout.workers';
  const envDef = ENVS[name];
  if (!envDef) throw new UserError(`env '${name}' is not defined by a plugin file, so a worker cannot build it`, where);
  const def = POLICIES[kind];
  if (!def) throw new UserError(`policy '${kind}' is not defined by a plugin file, so a worker cannot build it`, where);
  const envFactory = envDef.factory(envConfig);
  const env = envFactory();
  const rng = new Rng('rollout-worker');
  const policy = def.restore
    ? def.restore(policyConfig, env, start.described, rng)
    : def.create(policyConfig, env, rng);
  return { envFactory, policy };
}

function load(policy: Policy, weights: readonly Float32Array[]): void {
  if (weights.length !== policy.variables.length)
    throw new Error(`worker policy has ${policy.variables.length} variables, sent ${weights.length}`);
  policy.variables.forEach((v, i) => {
    const t = tf.tensor(weights[i], v.shape, 'float32');
    v.assign(t);
    t.dispose();
  });
}

try {
  const { envFactory, policy } = await setUp();
  port.on('message', (request: ShardRequest) => {
    try {
      load(policy, request.weights);
      const rngs = request.groups.map((g) => groupStreams(start.config.seed, request.step, g.groupId));
      const episodes = runEpisodes(envFactory, policy, request.groups, rngs, false, request.keepLogPolicy);
      const packed = packEpisodes(episodes, policy.numActions);
      reply({ seq: request.seq, ok: true, packed }, packedBuffers(packed));
    } catch (e) {
      reply(failure(request.seq, e));
    }
  });
  reply({ seq: 1, ok: true });
} catch (e) {
  reply(failure(1, e));
}

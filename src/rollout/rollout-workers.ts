// Rollouts over several threads (`rollout.workers` = W > 1): the main thread and W − 1 worker
// threads started once per run, each worker with its own backend, env factory and sampling copy of
// the policy (rollout-worker.ts). Every step the groups are cut into W contiguous shards in group
// order; the workers get the current weights and shards 1..W−1 and the main thread samples shard 0
// meanwhile, every shard on per-group streams (group-streams.ts), so which thread runs a shard
// changes nothing. The workers send their episodes back as transferred typed arrays, and all are
// put back together in group order. Waiting blocks (Atomics.wait on a shared flag, then a
// synchronous read of each reply), so a training step stays one synchronous function and nothing
// depends on which worker finishes first. Gradients, the old pass and everything after the
// rollout stay in the main thread.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { EnvFactory } from '../../envs/env.ts';
import { UserError } from '../base/errors.ts';
import type { Config } from '../config/schema.ts';
import { loadedPlugins } from '../plugins/load-plugins.ts';
import type { Policy } from '../policies/policy.ts';
import { unpackEpisodes } from './episode-transfer.ts';
import { groupStreams } from './group-streams.ts';
import { type Episode, type GroupRequest, runEpisodes } from './rollout.ts';
import type { ShardRequest, WorkerReply, WorkerStart } from './rollout-worker.ts';

/** `groups` cut into `shards` contiguous runs of groups with about equal episode counts (some may be empty). */
export function shardGroups<T extends { count: number }>(groups: readonly T[], shards: number): T[][] {
  const total = groups.reduce((n, g) => n + g.count, 0);
  const out: T[][] = Array.from({ length: shards }, () => []);
  let before = 0;
  for (const g of groups) {
    // the shard whose share of the episodes this group's middle falls in
    const s = total === 0 ? 0 : Math.min(shards - 1, Math.floor(((before + g.count / 2) * shards) / total));
    out[s].push(g);
    before += g.count;
  }
  return out;
}

/** The start-up warning for more sampling threads than the machine has cores, or undefined. */
export function workerCountWarning(workers: number, cores: number): string | undefined {
  if (workers <= cores) return undefined;
  const why = 'they take turns, and each worker adds its transfers';
  return `rollout.workers: ${workers} sampling threads on ${cores} cores; ${why}`;
}

/** tsx's ESM api (its `import` export; `require.resolve` would name the CommonJS one, which fails in a worker). */
function tsxApi(): string {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const { exports } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as {
    exports: Record<string, { import: { default: string } }>;
  };
  return pathToFileURL(path.join(path.dirname(manifest), exports['./esm/api'].import.default)).href;
}

/**
 * The worker's boot script: it marks the thread's exit in the shared flag before anything can fail
 * (so the main thread never waits on a dead worker), then imports the entry: compiled JavaScript
 * beside this file, or the TypeScript through tsx. A failed import becomes the start-up reply.
 */
function workerBoot(): string {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = JSON.stringify(
    new URL(fromSource ? './rollout-worker.ts' : './rollout-worker.js', import.meta.url).href,
  );
  const load = fromSource
    ? `import(${JSON.stringify(tsxApi())}).then((m) => { m.register(); return import(${entry}); })`
    : `import(${entry})`;
  return `const { workerData: w } = require('node:worker_threads');
process.on('exit', () => { Atomics.store(w.flag, w.index, -1); Atomics.notify(w.flag, w.index); });
${load}.catch((e) => {
  w.port.postMessage({ seq: 1, ok: false, user: false, message: 'failed to start: ' + (e && e.message) });
  Atomics.store(w.flag, w.index, 1);
  Atomics.notify(w.flag, w.index);
  w.port.close();
});`;
}

interface Thread {
  worker: Worker;
  port: MessagePort;
  error?: Error;
}

export class RolloutWorkers {
  /** threads[i] samples shard i + 1; the main thread samples shard 0. */
  private readonly threads: Thread[] = [];
  private readonly flag: Int32Array;
  private readonly shards: number;
  private seq = 1;
  private closed = false;

  /**
   * Starts `config.rollout.workers` − 1 worker threads for `policy` on the main thread's backend
   * and waits until each has built its env and policy (a failure there is thrown here, before any
   * step); `envFactory` builds the main thread's own envs for shard 0.
   */
  constructor(
    private readonly config: Config,
    policy: Policy,
    private readonly envFactory: EnvFactory,
  ) {
    this.shards = config.rollout.workers;
    const count = this.shards - 1;
    this.flag = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, count)));
    // every plugin this process imported (--plugin and the config's), and any the config records
    const recorded = (config.plugins ?? []).flatMap((p) => (typeof p === 'string' ? [] : [p.file]));
    const plugins = [...new Set([...loadedPlugins().map((p) => p.file), ...recorded])];
    const boot = workerBoot();
    try {
      for (let index = 0; index < count; index++) {
        const { port1, port2 } = new MessageChannel();
        const start: WorkerStart = {
          index,
          config: JSON.parse(JSON.stringify(config)) as Config,
          described: policy.describe(),
          backend: tf.getBackend(),
          plugins,
          port: port2,
          flag: this.flag,
        };
        const worker = new Worker(boot, { eval: true, workerData: start, transferList: [port2] });
        worker.unref();
        const thread: Thread = { worker, port: port1 };
        worker.on('error', (e) => {
          thread.error = e;
        });
        this.threads.push(thread);
      }
      for (let i = 0; i < count; i++) this.receive(i, 1);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /**
   * Runs `groups` at training step `step` with `policy`'s current weights: the episodes in group
   * order, each group's draws from groupStreams(seed, step, groupId).
   */
  run(policy: Policy, groups: readonly GroupRequest[], step: number, keepLogPolicy: boolean): Episode[] {
    if (this.closed) throw new Error('the rollout workers were closed');
    const [own, ...rest] = shardGroups(groups, this.shards);
    const seq = ++this.seq;
    if (rest.length > 0) {
      const weights = policy.variables.map((v) => Float32Array.from(v.dataSync() as Float32Array));
      rest.forEach((shard, i) => {
        const request: ShardRequest = { seq, step, groups: shard, weights, keepLogPolicy };
        try {
          this.threads[i].port.postMessage(request);
        } catch (e) {
          throw new UserError(`cannot send a group to a worker (${(e as Error).message})`, 'rollout.workers');
        }
      });
    }
    const streams = own.map((g) => groupStreams(this.config.seed, step, g.groupId));
    const here = runEpisodes(this.envFactory, policy, own, streams, false, keepLogPolicy);
    const there = rest.flatMap((shard, i) => {
      const reply = this.receive(i, seq);
      return reply.ok && reply.packed ? unpackEpisodes(reply.packed, shard, policy.numActions) : [];
    });
    return [...here, ...there];
  }

  /** Blocks until threads[i] has replied to request `seq`; throws its failure (named by its shard, i + 1). */
  private receive(i: number, seq: number): WorkerReply {
    const thread = this.threads[i];
    for (;;) {
      const got = receiveMessageOnPort(thread.port);
      if (got) {
        const reply = got.message as WorkerReply;
        if (reply.seq !== seq) continue;
        if (!reply.ok) {
          if (reply.user) throw new UserError(reply.message);
          throw new Error(`rollout worker ${i + 1}: ${reply.message}`);
        }
        return reply;
      }
      const now = Atomics.load(this.flag, i);
      if (now === -1) {
        const why = thread.error ? `: ${thread.error.message}` : '';
        throw new Error(`rollout worker ${i + 1} stopped without replying${why}`);
      }
      // the reply is posted before the flag moves; a flag that moved with no reply yet waits a moment
      Atomics.wait(this.flag, i, now, now < seq ? 1000 : 1);
    }
  }

  /** Stops every thread (idempotent; also after a failure). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.threads) {
      t.port.close();
      void t.worker.terminate();
    }
  }
}

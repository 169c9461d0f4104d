// Every shipped config runs: each gridworld config trains two steps; each text task runs its SFT
// config for two steps and then its GRPO config for one step from that warm start (init_from). A
// method config that starts from an SFT run (configs/arpo.yaml) gets that SFT config's short run.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/backend.ts';
import { loadConfig } from '../../src/config/load.ts';
import { runSft } from '../../src/train/sft.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, tempDir } from '../helpers.ts';

const files = fs.readdirSync('configs').filter((f) => f.endsWith('.yaml'));
const small = ['rollout.prompts_per_step=2', 'rollout.group_size=2', 'eval.episodes=2', 'eval.every=0'];

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('shipped configs', () => {
  const grpoOnly = files.filter((f) => !f.startsWith('sft-') && !f.startsWith('text-'));
  it.each(grpoOnly)('%s trains', async (file) => {
    const dir = tempDir();
    const warm = loadConfig(path.join('configs', file)).init_from;
    const sftDir = warm ? tempDir() : '';
    if (warm) {
      const sft = loadConfig(`configs/${path.basename(warm)}.yaml`, [
        'sft.steps=2',
        'sft.demos=8',
        'sft.batch_size=4',
        'eval.episodes=2',
      ]);
      await runSft(sft, { runDir: sftDir, log: () => {} });
    }
    const overrides = ['steps=2', ...small, ...(warm ? [`init_from=${sftDir}`] : [])];
    await train(loadConfig(path.join('configs', file), overrides), { runDir: dir, log: () => {} });
    expect(readJsonl(path.join(dir, 'metrics.jsonl'))).toHaveLength(2);
  });

  const tasks = files.filter((f) => f.startsWith('sft-')).map((f) => f.slice('sft-'.length, -'.yaml'.length));
  it('every SFT config has its GRPO config', () => {
    expect(tasks.length).toBeGreaterThanOrEqual(4);
    expect(files.filter((f) => f.startsWith('text-')).sort()).toEqual(tasks.map((t) => `text-${t}.yaml`).sort());
  });

  it.each(tasks)('sft-%s then text-%s run, the second from the first', async (task) => {
    const sftDir = tempDir();
    await runSft(
      loadConfig(`configs/sft-${task}.yaml`, ['sft.steps=2', 'sft.demos=8', 'sft.batch_size=4', 'eval.episodes=2']),
      { runDir: sftDir, log: () => {} },
    );
    const dir = tempDir();
    const config = loadConfig(`configs/text-${task}.yaml`, ['steps=1', `init_from=${sftDir}`, ...small]);
    await train(config, { runDir: dir, log: () => {} });
    expect(readJsonl(path.join(dir, 'metrics.jsonl'))).toHaveLength(1);
  });
});

// Checkpoint rotation and checksums: the previous checkpoint is kept, a corrupt or truncated latest
// one is detected, and --resume falls back to the previous one, recomputing the steps after it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { writeFileAtomic } from '../../src/run/atomic-write.ts';
import {
  CHECKPOINT_VERSION,
  type Checkpoint,
  CORRUPT_CHECKPOINT_FILE,
  loadCheckpoint,
  loadResumeCheckpoint,
  PREVIOUS_CHECKPOINT_FILE,
  saveCheckpoint,
} from '../../src/run/checkpoint.ts';
import { CHECKPOINT_FILE } from '../../src/run/run-dir.ts';
import { train } from '../../src/train/trainer.ts';
import { crashAfter, deterministicLines, tempDir } from '../helpers.ts';

const ckpt = (step: number): Checkpoint => ({
  version: CHECKPOINT_VERSION,
  step,
  policy: {
    kind: 'mlp',
    described: {},
    weights: [{ shape: [2], data: Buffer.from(new Float32Array([step, -step]).buffer).toString('base64') }],
  },
  metricsLines: step,
});

/** Change one character of the weights' base64 (still valid JSON, still decodable). */
function flipWeights(file: string): void {
  const text = fs.readFileSync(file, 'utf8');
  const at = text.indexOf('"data": "') + 9;
  fs.writeFileSync(file, text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1));
}

describe('checkpoint files', () => {
  it('keeps the previous checkpoint and seals each with a SHA-256 of its payload', () => {
    const dir = tempDir();
    saveCheckpoint(dir, ckpt(10));
    expect(fs.existsSync(path.join(dir, PREVIOUS_CHECKPOINT_FILE))).toBe(false);
    saveCheckpoint(dir, ckpt(20));
    expect(loadCheckpoint(dir).step).toBe(20);
    expect(loadCheckpoint(path.join(dir, PREVIOUS_CHECKPOINT_FILE)).step).toBe(10);
    expect(loadCheckpoint(dir).checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(fs.readdirSync(dir).sort()).toEqual([CHECKPOINT_FILE, PREVIOUS_CHECKPOINT_FILE]);
  });

  it('detects a changed byte that JSON parsing alone would accept', () => {
    const dir = tempDir();
    saveCheckpoint(dir, ckpt(10));
    flipWeights(path.join(dir, CHECKPOINT_FILE));
    expect(() => loadCheckpoint(dir)).toThrow(/checkpoint is corrupt \(its checksum does not match its contents\)/);
  });

  it('still reads a checkpoint written before checksums existed', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, CHECKPOINT_FILE), JSON.stringify(ckpt(7)));
    expect(loadCheckpoint(dir).step).toBe(7);
  });

  it('resumes from the previous checkpoint when the latest is truncated, corrupt or missing', () => {
    for (const damage of ['truncate', 'flip', 'remove'] as const) {
      const dir = tempDir();
      saveCheckpoint(dir, ckpt(10));
      saveCheckpoint(dir, ckpt(20));
      const latest = path.join(dir, CHECKPOINT_FILE);
      if (damage === 'truncate') fs.truncateSync(latest, fs.statSync(latest).size / 2);
      if (damage === 'flip') flipWeights(latest);
      if (damage === 'remove') fs.rmSync(latest);
      const warnings: string[] = [];
      const resumed = loadResumeCheckpoint(dir, 27, (line) => warnings.push(line));
      expect(resumed?.step).toBe(10);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /resuming from checkpoint\.prev\.json at step 10: steps 11–27 \(17\) are recomputed$/,
      );
      // the damaged file is set aside, so the next rotation keeps the good previous checkpoint
      expect(fs.existsSync(path.join(dir, CORRUPT_CHECKPOINT_FILE))).toBe(damage !== 'remove');
      saveCheckpoint(dir, ckpt(20));
      expect(loadCheckpoint(path.join(dir, PREVIOUS_CHECKPOINT_FILE)).step).toBe(10);
    }
  });

  it('refuses with one line when both checkpoints are damaged, and resumes from nothing when there is none', () => {
    const dir = tempDir();
    expect(loadResumeCheckpoint(dir, undefined, () => {})).toBeUndefined();
    saveCheckpoint(dir, ckpt(10));
    saveCheckpoint(dir, ckpt(20));
    flipWeights(path.join(dir, CHECKPOINT_FILE));
    fs.truncateSync(path.join(dir, PREVIOUS_CHECKPOINT_FILE), 100);
    expect(() => loadResumeCheckpoint(dir, 27, () => {})).toThrow(
      /checkpoint\.prev\.json: checkpoint is not valid JSON/,
    );
  });
});

describe('atomic writes on a full disk', () => {
  it('say so in one line, keep the previous file and leave no temp file', () => {
    const dir = tempDir();
    const file = path.join(dir, 'status.json');
    writeFileAtomic(file, 'old');
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const spy = vi.spyOn(fs, 'writeSync').mockImplementation(() => {
      throw full;
    });
    try {
      expect(() => writeFileAtomic(file, 'new')).toThrow(
        /status\.json: could not write: the disk is full \(ENOSPC\); the previous version of the file is kept/,
      );
    } finally {
      spy.mockRestore();
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('old');
    expect(fs.readdirSync(dir)).toEqual(['status.json']);
  });
});

describe('entrolab train --resume with a corrupt latest checkpoint', () => {
  it('warns, resumes from the previous checkpoint and ends with the metrics of a run that never stopped', async () => {
    const sets = [
      'steps=30',
      'checkpoint.every=10',
      'rollout.prompts_per_step=4',
      'rollout.group_size=4',
      'eval.episodes=4',
    ];
    const [full, out] = [tempDir(), tempDir()];
    await train(loadConfig('configs/quickstart.yaml', sets), { runDir: full, log: () => {} });
    const runDir = path.join(out, 'quickstart');
    // a crash (as kill -9) after step 25: the latest checkpoint is step 20's, the previous one step 10's
    await expect(
      train(loadConfig('configs/quickstart.yaml', sets), { runDir, ...crashAfter(25), log: () => {} }),
    ).rejects.toThrow(/simulated crash/);
    const latest = path.join(runDir, CHECKPOINT_FILE);
    fs.truncateSync(latest, Math.floor(fs.statSync(latest).size * 0.6));
    const args = [
      'bin/entrolab.js',
      'train',
      'configs/quickstart.yaml',
      '--out',
      out,
      '--quiet',
      '--resume',
      ...sets.flatMap((s) => ['--set', s]),
    ];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(
        /entrolab: warning: .*checkpoint\.json: checkpoint is not valid JSON .*; /.source +
          /resuming from checkpoint\.prev\.json at step 10: steps 11–25 \(15\) are recomputed\n/.source,
      ),
    );
    expect(deterministicLines(path.join(runDir, 'metrics.jsonl'))).toEqual(
      deterministicLines(path.join(full, 'metrics.jsonl')),
    );
  });
});

// A run directory's small files: status round trip, a corrupt file named in the error, --force's clean-up.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/base/errors.ts';
import { clearRunOutputs, readStatus, readSummary, STATUS_FILE, writeStatus } from '../../src/run/run-dir.ts';
import { tempDir } from '../helpers.ts';

describe('run directory', () => {
  it('has no status before a run and reads back what was written', () => {
    const dir = tempDir();
    expect(readStatus(dir)).toBeUndefined();
    expect(readSummary(dir)).toBeUndefined();
    writeStatus(dir, { state: 'interrupted', step: 3, total_steps: 10, backend: 'cpu' });
    expect(readStatus(dir)).toEqual({ state: 'interrupted', step: 3, total_steps: 10, backend: 'cpu' });
    expect(fs.readdirSync(dir)).toEqual([STATUS_FILE]); // atomic write left no temp file
  });

  it('names the file when status.json is not JSON', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, STATUS_FILE), '{"state": "runn');
    expect(() => readStatus(dir)).toThrow(UserError);
    expect(() => readStatus(dir)).toThrow(`${path.join(dir, STATUS_FILE)}: is not valid JSON`);
  });

  it('clears what a training run wrote and nothing else', () => {
    const dir = tempDir();
    const written = [
      'status.json',
      'checkpoint.json',
      'metrics.jsonl',
      'summary.json',
      'events.out.tfevents.1700000000.host',
    ];
    const kept = ['config.resolved.yaml', 'notes.txt'];
    for (const f of [...written, ...kept]) fs.writeFileSync(path.join(dir, f), 'x');
    clearRunOutputs(dir);
    expect(fs.readdirSync(dir).sort()).toEqual(kept);
  });
});

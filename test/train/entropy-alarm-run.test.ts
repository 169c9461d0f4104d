// The entropy alarm in a run built to collapse (a high learning rate on a small gridworld): it fires
// exactly at the step the metrics say, warns, marks status.json; `stop` ends the run there,
// checkpointed and evaluated, and --resume continues it to the same metrics as an unbroken run.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { loadReportData, summarizeCells } from '../../src/report/data.ts';
import { alarmMarkers, buildFigures } from '../../src/report/figures.ts';
import { summaryTable } from '../../src/report/report.ts';
import { loadCheckpoint } from '../../src/run/checkpoint.ts';
import { readStatus, readSummary } from '../../src/run/run-dir.ts';
import { train } from '../../src/train/trainer.ts';
import { deterministicLines, readJsonl, tempDir } from '../helpers.ts';

const QUICK = 'configs/quickstart.yaml';
const collapsing = [
  'steps=15',
  'env.preset=open5',
  'rollout.prompts_per_step=4',
  'rollout.group_size=4',
  'policy.hidden=[16]',
  'eval.episodes=4',
  'optim.lr=0.03',
  'checkpoint.every=50',
];
const alarm = (onAlarm: string) => `diagnostics.entropy_alarm={below: 0.85, patience: 2, on_alarm: ${onAlarm}}`;

/** The first step t with entropy/rollout < 0.85 × step 1's at both t − 1 and t, computed from the records. */
function expectedFiring(records: Record<string, number>[]): number {
  const bound = 0.85 * records[0]['entropy/rollout'];
  let run = 0;
  for (const r of records) {
    run = r['entropy/rollout'] < bound ? run + 1 : 0;
    if (run === 2) return r.step;
  }
  return -1;
}

describe('entropy alarm in training', () => {
  it('warns at the right step, and stop leaves a finished-looking, resumable run', async () => {
    const warnDir = tempDir();
    const warnings: string[] = [];
    await train(loadConfig(QUICK, [...collapsing, alarm('warn')]), {
      runDir: warnDir,
      log: (l) => warnings.push(l),
    });
    const records = readJsonl(path.join(warnDir, 'metrics.jsonl'));
    const fired = expectedFiring(records);
    expect(fired).toBeGreaterThan(2); // the run is built to cross the bound within its 15 steps
    expect(records.findIndex((r) => r['alarm/entropy_low'] === 1) + 1).toBe(fired);
    expect(records.slice(0, fired - 1).every((r) => r['alarm/entropy_low'] === 0)).toBe(true);
    expect(warnings.filter((l) => l.includes('entropy collapse alarm'))[0]).toContain(`at step ${fired}:`);
    expect(readStatus(warnDir)).toMatchObject({ state: 'finished', step: 15, alarms: { entropy_low: fired } });
    // the report marks the step on the entropy figures and counts the run in its summary table
    const data = loadReportData(warnDir);
    expect(alarmMarkers(data)).toEqual([{ x: fired, label: 'collapse alarm', color: '#d62728' }]);
    const entropyFigure = buildFigures(data).find((f) => f.name.startsWith('actor_entropy'));
    expect(entropyFigure?.svg).toContain('collapse alarm');
    const table = summaryTable(data, summarizeCells(data));
    expect(table.header.at(-1)).toBe('entropy alarms');
    expect(table.rows[0].at(-1)).toBe('1/1');

    const stopDir = tempDir();
    const config = loadConfig(QUICK, [...collapsing, alarm('stop')]);
    const stopped = await train(config, { runDir: stopDir, log: () => {} });
    expect(stopped.steps).toBe(fired);
    expect(stopped.stopped).toContain(`entropy collapse alarm at step ${fired}`);
    expect(readStatus(stopDir)).toMatchObject({ state: 'stopped', step: fired, alarms: { entropy_low: fired } });
    expect(readStatus(stopDir)?.reason).toContain('below');
    expect(loadCheckpoint(stopDir).step).toBe(fired);
    expect(readSummary(stopDir)?.steps).toBe(fired);
    expect(fs.existsSync(path.join(stopDir, 'train.lock'))).toBe(false);

    // the alarm already fired in this run, so the resumed run goes on to the end
    const resumed = await train(config, { runDir: stopDir, resume: true, log: () => {} });
    expect(resumed.stopped).toBeUndefined();
    expect(readStatus(stopDir)).toMatchObject({ state: 'finished', step: 15, alarms: { entropy_low: fired } });
    expect(deterministicLines(path.join(stopDir, 'metrics.jsonl'))).toEqual(
      deterministicLines(path.join(warnDir, 'metrics.jsonl')),
    );
  });

  it('is on by default (collapse below 10% of step 1, warn only) and can be switched off', () => {
    expect(loadConfig(QUICK).diagnostics.entropy_alarm).toEqual({
      below: 0.1,
      unit: 'fraction',
      patience: 5,
      on_alarm: 'warn',
    });
    expect(loadConfig(QUICK, ['diagnostics.entropy_alarm=false']).diagnostics.entropy_alarm).toBe(false);
  });
});

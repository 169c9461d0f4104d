// Saved token samples and the report's entropy views on a real (tiny) multi-turn text run: which
// steps are saved, what a sample holds, resume keeping exactly the unbroken run's file, and the
// report's heat maps and shaded tokens.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { loadReportData } from '../../src/report/data.ts';
import { heatColor, renderHeatmap } from '../../src/report/heatmap.ts';
import { writeReport } from '../../src/report/report.ts';
import { tokenShade } from '../../src/report/token-view.ts';
import { readTokenSamples, sampleSteps, TOKEN_SAMPLES_FILE } from '../../src/train/token-samples.ts';
import { train } from '../../src/train/trainer.ts';
import { readJsonl, stopAfter, tempDir } from '../helpers.ts';

const TEXT = 'configs/text-guess-number.yaml';
const tiny = [
  'init_from=', // from a fresh transformer: no SFT run needed
  'steps=4',
  'rollout.prompts_per_step=3',
  'rollout.group_size=2',
  'policy.layers=1',
  'policy.d_model=16',
  'policy.heads=2',
  'eval.episodes=4',
  'checkpoint.every=2',
  'diagnostics.token_samples={steps: [1, 3, 4], episodes: 2}',
];

describe('token samples', () => {
  it('default to the first, middle and last step, and false turns them off', () => {
    expect([...sampleSteps(loadConfig(TEXT, ['steps=60']))]).toEqual([1, 30, 60]);
    expect(sampleSteps(loadConfig(TEXT, ['diagnostics.token_samples=false'])).size).toBe(0);
  });

  it('save the first episode of the first prompts with each token, its entropy and turn; resume keeps them exact', async () => {
    const full = tempDir();
    const config = loadConfig(TEXT, tiny);
    await train(config, { runDir: full, log: () => {} });
    const samples = readTokenSamples(full);
    expect(samples.map((s) => s.step)).toEqual([1, 1, 3, 3, 4, 4]);
    const records = readJsonl(path.join(full, 'metrics.jsonl'));
    for (const s of samples) {
      expect(s.prompt).toMatch(/^<bos>\d+-\d+<sep>$/); // guess-number's rendered prompt: the range
      expect(s.tokens.length).toBeGreaterThan(0);
      for (const [text, h, turn] of s.tokens) {
        expect(text.length).toBeGreaterThan(0);
        expect(h).toBeGreaterThanOrEqual(0);
        expect(h).toBeLessThanOrEqual(Math.log(config.env.max_number as number) + 2); // ≤ ln |vocab|
        expect(turn).toBeLessThan(5);
      }
      // turns start at 0 and never go back
      const turns = s.tokens.map((t) => t[2]);
      expect(turns[0]).toBe(0);
      expect(turns.every((t, i) => i === 0 || t >= turns[i - 1])).toBe(true);
    }
    // the step's profile has by-turn entropies (multi-turn) and by-position ones (answers of 2+ tokens)
    expect(records[0]['entropy/by_turn/1']).toBeGreaterThan(0);
    expect(records[0]['entropy/by_position/1']).toBeGreaterThan(0);

    const cut = tempDir();
    await train(config, { runDir: cut, log: () => {}, ...stopAfter(3) });
    expect(readTokenSamples(cut).map((s) => s.step)).toEqual([1, 1, 3, 3]);
    await train(config, { runDir: cut, resume: true, log: () => {} });
    expect(fs.readFileSync(path.join(cut, TOKEN_SAMPLES_FILE), 'utf8')).toBe(
      fs.readFileSync(path.join(full, TOKEN_SAMPLES_FILE), 'utf8'),
    );

    // the report: heat maps by position and by turn, and the shaded tokens section
    const out = writeReport(loadReportData(full));
    const names = out.figures.map((f) => path.basename(f));
    expect(names).toContain('entropy_by_position.heatmap.svg');
    expect(names).toContain('entropy_by_turn.heatmap.svg');
    const html = fs.readFileSync(out.html, 'utf8');
    expect(html).toContain('<h2>Tokens by entropy</h2>');
    expect((html.match(/<div class="tokens">/g) ?? []).length).toBe(6);
    const [text, h] = samples[0].tokens[0];
    expect(html).toContain(`title="H = ${h.toFixed(3)} nats">${text.replace('<', '&lt;').replace('>', '&gt;')}</span>`);
  });
});

describe('heat map and shading', () => {
  it('shade from white (lowest) to dark blue (highest), blank for missing values', () => {
    expect(heatColor(0)).toBe('#f7fbff');
    expect(heatColor(1)).toBe('#08306b');
    const svg = renderHeatmap({
      title: 't',
      xLabel: 'step',
      yLabel: 'position',
      columns: [1, 2, 3],
      rows: ['1', '2'],
      values: [
        [0.5, 1.5, Number.NaN],
        [1, 1, 1],
      ],
    });
    // the background, five cells (one value is missing) and the ten steps of the scale
    expect((svg.match(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="#/g) ?? []).length).toBe(16);
    expect(svg).toContain('fill="#f7fbff"><title>1, step 1: 0.500</title>');
    expect(svg).toContain('fill="#08306b"><title>1, step 2: 1.500</title>');
    expect(tokenShade(0, 2)).toBe('rgba(230,85,13,0.000)');
    expect(tokenShade(1, 2)).toBe('rgba(230,85,13,0.500)');
    expect(tokenShade(5, 2)).toBe('rgba(230,85,13,1.000)');
  });
});

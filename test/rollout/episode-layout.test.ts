// The one episode layout under the GRPO batch and the SFT step: every action in its slot, the mask
// marking exactly the action slots, and per-action values placed where their actions are.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/base/rng.ts';
import { loadConfig } from '../../src/config/load.ts';
import { layoutEpisodes, placePerAction } from '../../src/rollout/episode-layout.ts';
import { type GroupRequest, runEpisodes } from '../../src/rollout/rollout.ts';
import { makeEnvFactory, makePolicy } from '../../src/train/setup.ts';

describe('layoutEpisodes', () => {
  for (const file of ['configs/quickstart.yaml', 'configs/text-guess-number.yaml']) {
    it(`places sampled episodes of ${file} row by row and masks exactly their action slots`, () => {
      const config = loadConfig(file, ['init_from=']);
      const envFactory = makeEnvFactory(config);
      const probe = envFactory();
      const policy = makePolicy(config, probe, new Rng('layout'));
      const prompts = new Rng('prompts');
      const groups: GroupRequest[] = [0, 1].map((groupId) => ({
        prompt: probe.samplePrompt(prompts, 'train'),
        count: 3,
        groupId,
        temperature: 1,
        isExtra: false,
      }));
      const episodes = runEpisodes(envFactory, policy, groups, { env: new Rng('env'), sampling: new Rng('s') });
      const layout = layoutEpisodes(policy, episodes);
      const total = episodes.reduce((n, e) => n + e.actions.length, 0);
      expect(layout.rows).toBe(6);
      expect(layout.count).toBe(total);
      expect(layout.mask.reduce((a, b) => a + b, 0)).toBe(total);
      const placed = placePerAction(layout, episodes, (_, j) => j + 1, new Int32Array(layout.mask.length));
      for (let r = 0; r < layout.rows; r++) {
        const row = Array.from(placed.slice(r * layout.width, (r + 1) * layout.width)).filter((v) => v > 0);
        // the row's actions in order, each in a masked slot holding the action taken
        expect(row).toEqual(episodes[r].actions.map((_, j) => j + 1));
        episodes[r].actions.forEach((a, j) => {
          const slot = r * layout.width + layout.slots[r][j];
          expect([layout.actions[slot], layout.mask[slot]]).toEqual([a, 1]);
        });
      }
      policy.dispose();
    });
  }
});

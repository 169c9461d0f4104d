import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyOverrides, loadConfig, parseConfig } from '../../src/config/load.ts';
import { tempDir } from '../helpers.ts';

const base = { env: { name: 'gridworld' } };

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('config', () => {
  it('fills defaults for every section', () => {
    const c = parseConfig(base);
    expect(c.rollout).toEqual({
      prompts_per_step: 8,
      group_size: 8,
      temperature: 1,
      recompute_old_logprobs: true,
      workers: 1,
    });
    expect(c.grpo.clip_ratio_c).toBe(3);
    expect(c.grpo.loss_agg_mode).toBe('token-mean');
    expect(c.policy).toMatchObject({ kind: 'mlp', hidden: [64, 64] });
    expect(c.env).toMatchObject({ name: 'gridworld' }); // no preset: the default layout, open5
    expect(c.regularizers).toEqual([]);
  });

  it('rejects an unknown key and suggests the nearest one', () => {
    const msg = errorOf(() => parseConfig({ ...base, grpo: { clip_ratio_hgh: 0.3 } }, 'c.yaml'));
    expect(msg).toContain(
      "c.yaml: config key 'grpo.clip_ratio_hgh' does not exist; did you mean 'grpo.clip_ratio_high'?",
    );
    expect(errorOf(() => parseConfig({ ...base, stepz: 3 }))).toContain("did you mean 'steps'?");
    expect(errorOf(() => parseConfig({ env: { name: 'gridworld', presett: 'open5' } }))).toContain(
      "'env.presett' does not exist; did you mean 'env.preset'?",
    );
  });

  it('names the key and the allowed range for bad values', () => {
    expect(errorOf(() => parseConfig({ ...base, rollout: { group_size: -2 } }))).toMatch(
      /'rollout.group_size': got -2; allowed: an integer, >= 1/,
    );
    expect(errorOf(() => parseConfig({ ...base, optim: { lr: 'fast' } }))).toMatch(
      /'optim.lr': expected number, got "fast"/,
    );
    expect(errorOf(() => parseConfig({ ...base, grpo: { loss_agg_mode: 'mean' } }))).toMatch(
      /one of token-mean, seq-mean-token-sum/,
    );
    expect(errorOf(() => parseConfig({ ...base, grpo: { clip_ratio_c: 1 } }))).toMatch(
      /'grpo.clip_ratio_c': got 1; allowed: > 1/,
    );
  });

  it('eval: samples must cover k and every k of pass_k and log_pass_k (the refinement says so)', () => {
    expect(errorOf(() => parseConfig({ ...base, eval: { k: 4, samples: 2 } }))).toMatch(
      /'eval.samples': got 2 \(eval.samples must be >= eval.k\)/,
    );
    expect(errorOf(() => parseConfig({ ...base, eval: { samples: 8, pass_k: [1, 16] } }))).toMatch(
      /'eval.pass_k': got \[1,16\] \(every eval.pass_k must be <= eval.samples/,
    );
    expect(errorOf(() => parseConfig({ ...base, eval: { log_pass_k: [8] } }))).toMatch(/'eval.log_pass_k'/);
    const ok = parseConfig({ ...base, eval: { k: 64, samples: 64, pass_k: [1, 16, 64], log_pass_k: [16, 64] } });
    expect(ok.eval).toMatchObject({ k: 64, samples: 64, pass_k: [1, 16, 64], log_pass_k: [16, 64] });
    expect(parseConfig(base).eval).toEqual({ episodes: 64, every: 0, k: 4 });
  });

  it('names unknown envs, policies and regularizers', () => {
    expect(errorOf(() => parseConfig({ env: { name: 'gridwrld' } }))).toContain("did you mean 'gridworld'?");
    expect(errorOf(() => parseConfig({ ...base, policy: { kind: 'mpl' } }))).toContain("did you mean 'mlp'?");
    expect(errorOf(() => parseConfig({ ...base, regularizers: [{ name: 'nonesuch' }] }))).toContain(
      "unknown regularizer 'nonesuch'",
    );
    expect(errorOf(() => parseConfig({}))).toContain("needs an 'env' section");
    expect(errorOf(() => parseConfig({ ...base, regularizers: [{ name: 'clip_cov' }, { name: 'kl_cov' }] }))).toContain(
      'clip_cov and kl_cov both replace the policy loss',
    );
    expect(errorOf(() => parseConfig({ ...base, regularizers: [{ name: 'epo' }, { name: 'epo' }] }))).toContain(
      "'epo' is listed twice",
    );
    expect(errorOf(() => parseConfig(applyOverrides(base, ['regularizers=[{name:kl_cov}]'])))).toContain(
      "YAML needs a space after the colon: 'name: kl_cov'",
    );
  });

  it('applies --set overrides with YAML-typed values', () => {
    const raw = applyOverrides(base, ['grpo.clip_ratio_high=0.28', 'policy.hidden=[8, 8]', 'rollout.group_size=4']);
    const c = parseConfig(raw);
    expect(c.grpo.clip_ratio_high).toBe(0.28);
    expect(c.policy.hidden).toEqual([8, 8]);
    expect(c.rollout.group_size).toBe(4);
    expect(errorOf(() => applyOverrides(base, ['novalue']))).toContain('key=value');
    // an empty value unsets a key, so its default applies again
    const unset = parseConfig(applyOverrides({ ...base, steps: 7, init_from: 'runs/x' }, ['init_from=', 'steps=null']));
    expect(unset.steps).toBe(50);
    expect(unset.init_from).toBeUndefined();
  });

  it('reports a missing file and invalid YAML with the file name', () => {
    const dir = tempDir();
    expect(errorOf(() => loadConfig(path.join(dir, 'missing.yaml')))).toMatch(/missing.yaml: config file not found/);
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, 'steps: [1,\n');
    expect(errorOf(() => loadConfig(bad))).toMatch(/bad.yaml: invalid YAML/);
  });

  it('every shipped config in configs/ validates', () => {
    const dir = 'configs';
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(() => loadConfig(path.join(dir, f)), f).not.toThrow();
  });
});

// Sweep files: a base config, axes of values for config keys (crossed or zipped), and seeds,
// expanded into a list of runs, each with a stable, readable id built from its settings
// (`method-clip_cov__seed-1`). The id, not the position, names a run's directory, so adding a
// value to an axis never renames the runs that already exist. See docs/sweeps.md.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from '../base/errors.ts';
import { parseKeyPath } from '../config/key-path.ts';
import { pluginSources, readYamlFile, validate } from '../config/load.ts';
import type { PluginSource } from '../plugins/load-plugins.ts';

const keyAxisSchema = z
  .object({
    /** Dotted config key, as for `train --set` (e.g. `grpo.clip_ratio_high`, `regularizers.0.ratio`). */
    key: z.string().min(1),
    /** Values the key takes, one per point of the axis. */
    values: z.array(z.unknown()).min(1),
    /** Axis name in run ids; defaults to the key's last segment. */
    name: z.string().optional(),
    /** Labels for the values in run ids (one per value); default: derived from each value. */
    labels: z.array(z.string()).optional(),
  })
  .strict();

const optionsAxisSchema = z
  .object({
    /** Axis name in run ids (e.g. `method`). */
    name: z.string().min(1),
    /** label → overrides (dotted key → value) that this option applies. */
    options: z.record(z.string(), z.record(z.string(), z.unknown()).nullable()),
  })
  .strict();

type KeyAxis = z.infer<typeof keyAxisSchema>;
type OptionsAxis = z.infer<typeof optionsAxisSchema>;
type SimpleAxis = KeyAxis | OptionsAxis;
type Axis = SimpleAxis | { zip: SimpleAxis[] };

const sweepTopSchema = z
  .object({
    /** Sweep name: its directory is <out>/<name>; default: the sweep file's base name. */
    name: z.string().optional(),
    /** Base run config, relative to the sweep file. */
    base: z.string().min(1),
    /** Plugins every run imports (paths relative to the sweep file, or package names), as `--plugin`. */
    plugins: z.array(z.string().min(1)).optional(),
    /** A count (seeds 0..n-1) or an explicit list of seeds. */
    seeds: z.union([z.number().int().min(1), z.array(z.number().int().min(0)).min(1)]).default(1),
    /** Overrides (dotted key → value) applied to every run before the axes. */
    set: z.record(z.string(), z.unknown()).default({}),
    /** How the axes combine: every combination (cross) or stepped together (zip). */
    combine: z.enum(['cross', 'zip']).default('cross'),
    axes: z.array(z.unknown()).default([]),
    /** Defaults for `entrolab report` on this sweep. */
    report: z
      .object({
        /** Success rate that counts as "reached" in the steps-to-threshold column. */
        threshold: z.number().min(0).max(1).default(0.5),
      })
      .strict()
      .default({ threshold: 0.5 }),
  })
  .strict();

export type Override = [key: string, value: unknown];

export interface SweepRun {
  /** Position in the expansion (what `--only` and cluster array indices refer to). */
  index: number;
  /** `<cell>__seed-<seed>`: the run's directory name. */
  id: string;
  /** The settings without the seed, e.g. `method-clip_cov__ratio-0.002`; `base` with no axes. */
  cell: string;
  seed: number;
  /** Axis name → value label, in axis order. */
  labels: Record<string, string>;
  /** Overrides in the order applied: the sweep's `set`, then each axis. */
  overrides: Override[];
}

export interface Sweep {
  name: string;
  file: string;
  /** Absolute path of the base config. */
  base: string;
  /** The sweep file's own plugins (the base config may list more). */
  plugins: PluginSource[];
  seeds: number[];
  axisNames: string[];
  threshold: number;
  runs: SweepRun[];
}

/** A point of one axis: its labels and the overrides it applies. */
interface Point {
  labels: [string, string][];
  overrides: Override[];
}

const LABEL_MAX = 48;

// Run ids and sweep names become directory names, and sweep files are shared between people:
// each must be one safe path segment (the rule of a run's `name`), never `.` or `..`.
const SEGMENT = /^[A-Za-z0-9._-]+$/;
const isSegment = (text: string) => SEGMENT.test(text) && text !== '.' && text !== '..';

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_');
}

function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 8);
}

/** A readable label for an axis value: `0.002`, `true`, `clip_cov`, `kl_cov.ratio-0.01`, `none`. */
export function valueLabel(value: unknown): string {
  const label = rawLabel(value);
  return label.length <= LABEL_MAX ? label : shortHash(value);
}

function rawLabel(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return slug(value) || 'empty';
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.map(rawLabel).join('_');
  const entries = Object.entries(value as Record<string, unknown>);
  const named = entries.find(([k, v]) => k === 'name' && typeof v === 'string');
  const rest = entries.filter(([k]) => k !== 'name' || !named).map(([k, v]) => `${slug(k)}-${rawLabel(v)}`);
  return [named ? slug(named[1] as string) : undefined, ...rest].filter(Boolean).join('.') || 'empty';
}

function parseSimpleAxis(raw: unknown, where: string, file: string): Point[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UserError(`'${where}' must be a mapping: {key, values} or {name, options} or {zip: [...]}`, file);
  }
  if ('options' in raw) {
    const axis: OptionsAxis = validate(optionsAxisSchema, raw, where, file);
    const labels = Object.keys(axis.options);
    if (labels.length === 0) throw new UserError(`'${where}.options' needs at least one option`, file);
    return labels.map((label) => {
      if (slug(label) !== label)
        throw new UserError(`'${where}.options': label '${label}' may use only letters, digits and . _ -`, file);
      const overrides = Object.entries(axis.options[label] ?? {});
      for (const [key] of overrides) parseKeyPath(key, `${file}: ${where}.options.${label}`);
      return { labels: [[axis.name, label]], overrides };
    });
  }
  const axis: KeyAxis = validate(keyAxisSchema, raw, where, file);
  parseKeyPath(axis.key, `${file}: ${where}.key`);
  const name =
    axis.name ??
    axis.key
      .split('.')
      .filter((s) => !/^\d+$/.test(s))
      .pop() ??
    axis.key;
  if (axis.labels && axis.labels.length !== axis.values.length) {
    throw new UserError(
      `'${where}.labels' has ${axis.labels.length} entries but 'values' has ${axis.values.length}`,
      file,
    );
  }
  const labels = axis.labels?.map(slug) ?? axis.values.map(valueLabel);
  const seen = new Map<string, number>();
  labels.forEach((label, i) => {
    const j = seen.get(label);
    if (j !== undefined) {
      throw new UserError(
        `'${where}': values ${j} and ${i} both get the label '${label}' in run ids; give the axis 'labels: [...]'`,
        file,
      );
    }
    seen.set(label, i);
  });
  return axis.values.map((value, i) => ({ labels: [[name, labels[i]]], overrides: [[axis.key, value]] }));
}

function zipPoints(groups: Point[][], where: string, file: string): Point[] {
  const lengths = groups.map((g) => g.length);
  if (new Set(lengths).size > 1)
    throw new UserError(`'${where}': zipped axes must have equal lengths, got ${lengths.join(', ')}`, file);
  return groups[0].map((_, i) => ({
    labels: groups.flatMap((g) => g[i].labels),
    overrides: groups.flatMap((g) => g[i].overrides),
  }));
}

function crossPoints(groups: Point[][]): Point[] {
  let out: Point[] = [{ labels: [], overrides: [] }];
  for (const group of groups) {
    out = out.flatMap((prefix) =>
      group.map((p) => ({ labels: [...prefix.labels, ...p.labels], overrides: [...prefix.overrides, ...p.overrides] })),
    );
  }
  return out;
}

function parseAxis(raw: unknown, where: string, file: string): Point[] {
  if (typeof raw === 'object' && raw !== null && 'zip' in raw) {
    const { zip, ...rest } = raw as { zip: unknown };
    if (Object.keys(rest).length > 0) throw new UserError(`'${where}': a zip entry takes only 'zip: [axes...]'`, file);
    if (!Array.isArray(zip) || zip.length === 0)
      throw new UserError(`'${where}.zip' must be a non-empty list of axes`, file);
    return zipPoints(
      zip.map((a, i) => parseSimpleAxis(a, `${where}.zip.${i}`, file)),
      where,
      file,
    );
  }
  return parseSimpleAxis(raw, where, file);
}

/** The most runs one sweep may expand to: far more than one machine trains, few enough to list at once. */
export const MAX_SWEEP_RUNS = 10_000;

/** Refuses a sweep of more than MAX_SWEEP_RUNS runs before any list of them is built. */
function assertRunCount(groups: Point[][], zipped: boolean, seeds: number | number[], file: string): void {
  const sizes = groups.map((g) => g.length);
  const cells = sizes.length === 0 ? 1 : zipped ? sizes[0] : sizes.reduce((a, b) => a * b, 1);
  const seedCount = typeof seeds === 'number' ? seeds : seeds.length;
  if (cells * seedCount <= MAX_SWEEP_RUNS) return;
  const shape = `${sizes.length > 0 ? `${sizes.join(zipped ? ' zipped with ' : ' × ')} cells` : '1 cell'} × ${seedCount} seeds`;
  throw new UserError(
    `the sweep expands to ${(cells * seedCount).toExponential(2)} runs (${shape}); at most ${MAX_SWEEP_RUNS} are allowed: ` +
      'split it into several sweeps or use fewer values or seeds',
    file,
  );
}

/** Expand a parsed sweep document (already read from `file`) into runs. */
export function expandSweep(doc: unknown, file: string): Sweep {
  const top = validate(sweepTopSchema, doc, '', file);
  const groups = top.axes.map((a, i) => parseAxis(a as Axis, `axes.${i}`, file));
  assertRunCount(groups, top.combine === 'zip', top.seeds, file);
  const cells =
    groups.length === 0
      ? [{ labels: [], overrides: [] }]
      : top.combine === 'zip'
        ? zipPoints(groups, 'axes', file)
        : crossPoints(groups);

  const axisNames = cells[0].labels.map(([name]) => name);
  const dupe = axisNames.find((n, i) => axisNames.indexOf(n) !== i);
  if (dupe) throw new UserError(`two axes are both named '${dupe}' in run ids; give one a 'name:'`, file);
  for (const n of axisNames) {
    if (slug(n) !== n) throw new UserError(`axis name '${n}' may use only letters, digits and . _ -`, file);
  }

  const seeds = typeof top.seeds === 'number' ? Array.from({ length: top.seeds }, (_, i) => i) : top.seeds;
  if (new Set(seeds).size !== seeds.length) throw new UserError(`'seeds' lists a seed twice`, file);

  const fixed: Override[] = Object.entries(top.set);
  for (const [key] of fixed) parseKeyPath(key, `${file}: set`);
  const runs: SweepRun[] = [];
  // Seed-major order: the first |cells| runs cover every cell once, so an interrupted sweep
  // already compares all settings.
  for (const seed of seeds) {
    for (const cell of cells) {
      const cellId = cell.labels.length === 0 ? 'base' : cell.labels.map(([n, l]) => `${n}-${l}`).join('__');
      runs.push({
        index: runs.length,
        id: `${cellId}__seed-${seed}`,
        cell: cellId,
        seed,
        labels: Object.fromEntries(cell.labels),
        overrides: [...fixed, ...cell.overrides],
      });
    }
  }
  const ids = new Set<string>();
  for (const run of runs) {
    if (ids.has(run.id))
      throw new UserError(`two runs share the id '${run.id}'; give the axes distinct 'labels'`, file);
    ids.add(run.id);
  }

  const name = top.name ?? path.basename(file).replace(/\.ya?ml$/i, '');
  if (!isSegment(name)) {
    const from = top.name === undefined ? ' (from the file name; set name: in the sweep file)' : '';
    throw new UserError(
      `sweep name '${name}'${from} must be one path segment: letters, digits, '.', '_', '-', not '.' or '..'`,
      file,
    );
  }
  const unsafe = runs.find((r) => !isSegment(r.id));
  if (unsafe) throw new UserError(`run id '${unsafe.id}' is not one path segment; rename the axis labels`, file);

  return {
    name,
    file: path.resolve(file),
    base: path.resolve(path.dirname(file), top.base),
    plugins: pluginSources({ plugins: top.plugins }, file),
    seeds,
    axisNames,
    threshold: top.report.threshold,
    runs,
  };
}

export function loadSweep(file: string): Sweep {
  return expandSweep(readYamlFile(file), file);
}

/** `--set` arguments for `train`: values as JSON, which the YAML parser reads back unchanged. */
export function overridesToSets(overrides: readonly Override[]): string[] {
  return overrides.map(([key, value]) => `${key}=${JSON.stringify(value)}`);
}

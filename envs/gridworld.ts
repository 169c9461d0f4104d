// Gridworld: walls, start/goal fixed or sampled per prompt, slippery moves, an optional key and
// door, a sparse goal reward and an optional step penalty. One action = one token = one turn.
import { z } from 'zod';
import { UserError } from '../src/base/errors.ts';
import { Rng } from '../src/base/rng.ts';
import { defineEnv, type Env, type ObservationSpec, type Prompt, type Split, type StepResult } from './env.ts';
import { GRIDWORLD_PRESETS } from './gridworld-maps.ts';

export const gridworldSchema = z
  .object({
    /** Named layout (`entrolab list` shows them; default open5); not with `map` or `size`. */
    preset: z.enum(Object.keys(GRIDWORLD_PRESETS) as [string, ...string[]]).optional(),
    /** ASCII rows: '#' wall, '.' floor, 'S' start, 'G' goal, 'K' key, 'D' door. */
    map: z.array(z.string().min(1)).min(1).optional(),
    /** An empty room of this size instead of a preset or map: N (N×N) or [rows, cols]. */
    size: z.union([z.number().int().min(2), z.tuple([z.number().int().min(1), z.number().int().min(1)])]).optional(),
    /** Extra wall cells [row, col] added to the layout. */
    walls: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)])).default([]),
    /** Fixed start cell [row, col] (overrides the layout's 'S'). */
    start: z.tuple([z.number().int().min(0), z.number().int().min(0)]).optional(),
    /** Fixed goal cell [row, col] (overrides the layout's 'G'). */
    goal: z.tuple([z.number().int().min(0), z.number().int().min(0)]).optional(),
    /** Sample the start cell per prompt even if the map has an 'S'. */
    random_start: z.boolean().default(false),
    /** Sample the goal cell per prompt even if the map has a 'G'. */
    random_goal: z.boolean().default(false),
    /** Probability that a move is replaced by a uniformly random one. */
    slip: z.number().min(0).max(1).default(0),
    /** Step limit per episode (default: the preset's; 2·(rows + cols) for a map or size). */
    max_steps: z.number().int().min(1).optional(),
    /** Reward for reaching the goal. */
    goal_reward: z.number().default(1),
    /** Reward added on every step (e.g. −0.01). */
    step_penalty: z.number().max(0).default(0),
    /** Number of distinct prompts in the test split pool (the train split never draws them). */
    test_prompts: z.number().int().min(0).default(0),
  })
  .strict();
export type GridworldConfig = z.infer<typeof gridworldSchema>;

const ACTIONS = ['up', 'down', 'left', 'right'] as const;
const MOVES: [number, number][] = [
  [-1, 0],
  [1, 0],
  [0, -1],
  [0, 1],
];

interface Layout {
  rows: number;
  cols: number;
  walls: Uint8Array;
  start?: number;
  goal?: number;
  key?: number;
  door?: number;
  floor: number[];
}

export function parseMap(map: string[], where: string): Layout {
  const rows = map.length;
  const cols = map[0].length;
  if (map.some((r) => r.length !== cols)) throw new UserError('every map row must have the same length', where);
  const walls = new Uint8Array(rows * cols);
  const layout: Layout = { rows, cols, walls, floor: [] };
  map.forEach((line, r) =>
    [...line].forEach((ch, c) => {
      const i = r * cols + c;
      if (!'#.SGKD'.includes(ch)) throw new UserError(`unknown map character '${ch}' (use # . S G K D)`, where);
      if (ch === '#') walls[i] = 1;
      else if (ch !== 'D') layout.floor.push(i);
      if (ch === 'S') layout.start = i;
      if (ch === 'G') layout.goal = i;
      if (ch === 'K') layout.key = i;
      if (ch === 'D') layout.door = i;
    }),
  );
  if (layout.floor.length < 2) throw new UserError('the map needs at least two floor cells', where);
  return layout;
}

/** The preset a config without `map` or `size` uses. */
function presetOf(config: GridworldConfig): string {
  return config.preset ?? 'open5';
}

/** The layout's ASCII rows: preset, map or empty room, then walls, start and goal applied. */
export function resolveMap(config: GridworldConfig): string[] {
  if (config.map && config.size !== undefined) throw new UserError('give either map or size, not both', 'env.size');
  if (config.preset !== undefined && (config.map || config.size !== undefined)) {
    const other = config.map ? 'map' : 'size';
    throw new UserError(
      `give either preset or ${other}, not both (the ${other} would be used, not the preset)`,
      'env.preset',
    );
  }
  let rows: string[];
  if (config.map) rows = config.map;
  else if (config.size !== undefined) {
    const [r, c] = typeof config.size === 'number' ? [config.size, config.size] : config.size;
    rows = Array.from({ length: r }, () => '.'.repeat(c));
  } else rows = GRIDWORLD_PRESETS[presetOf(config)].map;
  const grid = rows.map((line) => [...line]);
  const put = (cell: [number, number], ch: string, key: string) => {
    const [r, c] = cell;
    if (r >= grid.length || c >= (grid[r]?.length ?? 0)) {
      throw new UserError(
        `[${r}, ${c}] is outside the ${grid.length}×${grid[0].length} grid ` +
          `(rows 0..${grid.length - 1}, cols 0..${grid[0].length - 1})`,
        `env.${key}`,
      );
    }
    if (ch !== '#' && grid[r][c] === '#')
      throw new UserError(`[${r}, ${c}] is a wall; choose a floor cell (or remove the wall)`, `env.${key}`);
    if (ch !== '#') for (const line of grid) for (let i = 0; i < line.length; i++) if (line[i] === ch) line[i] = '.';
    grid[r][c] = ch;
  };
  for (const w of config.walls) put(w, '#', 'walls');
  if (config.start) put(config.start, 'S', 'start');
  if (config.goal) put(config.goal, 'G', 'goal');
  return grid.map((line) => line.join(''));
}

export class Gridworld implements Env {
  readonly name = 'gridworld';
  readonly numActions = 4;
  readonly observation: ObservationSpec;
  readonly maxTokens: number;
  private readonly layout: Layout;
  private pos = 0;
  private goal = 0;
  private hasKey = false;
  private steps = 0;
  private done = false;
  private rng: Rng | null = null;
  private readonly testPool: Prompt[] = [];

  constructor(private readonly config: GridworldConfig) {
    this.layout = parseMap(resolveMap(config), config.map ? 'env.map' : 'env');
    const custom = config.map || config.size !== undefined;
    this.maxTokens =
      config.max_steps ??
      (custom ? 2 * (this.layout.rows + this.layout.cols) : GRIDWORLD_PRESETS[presetOf(config)].maxSteps);
    const cells = this.layout.rows * this.layout.cols;
    this.observation = { kind: 'features', size: 2 * cells + 1 };
  }

  get turn(): number {
    return this.steps;
  }

  private drawPrompt(rng: Rng): Prompt {
    const { floor } = this.layout;
    const sampleStart = this.config.random_start || this.layout.start === undefined;
    const sampleGoal = this.config.random_goal || this.layout.goal === undefined;
    const free = floor.filter((i) => i !== this.layout.key);
    const goal = sampleGoal ? free[rng.int(free.length)] : this.layout.goal!;
    let start = this.layout.start ?? free[0];
    if (sampleStart) {
      const choices = free.filter((i) => i !== goal);
      start = choices[rng.int(choices.length)];
    }
    return { id: `s${start}-g${goal}`, start, goal };
  }

  samplePrompt(rng: Rng, split: Split): Prompt {
    if (this.config.test_prompts === 0) return this.drawPrompt(rng);
    // a fixed pool of held-out start/goal pairs, drawn from a dedicated seed
    if (this.testPool.length === 0) this.buildTestPool();
    const held = new Set(this.testPool.map((p) => p.id));
    if (split === 'test') return this.testPool[rng.int(this.testPool.length)];
    for (let tries = 0; tries < 1000; tries++) {
      const p = this.drawPrompt(rng);
      if (!held.has(p.id)) return p;
    }
    throw new UserError('env.test_prompts holds out every start/goal pair; lower it', 'env.test_prompts');
  }

  private buildTestPool(): void {
    const rng = new Rng('gridworld:test-pool');
    const seen = new Set<string>();
    for (let tries = 0; tries < 10000 && this.testPool.length < this.config.test_prompts; tries++) {
      const p = this.drawPrompt(rng);
      if (!seen.has(p.id)) {
        seen.add(p.id);
        this.testPool.push(p);
      }
    }
  }

  reset(prompt: Prompt, rng: Rng): void {
    this.pos = prompt.start as number;
    this.goal = prompt.goal as number;
    this.hasKey = false;
    this.steps = 0;
    this.done = false;
    this.rng = rng;
  }

  observe(): Float32Array {
    const cells = this.layout.rows * this.layout.cols;
    const obs = new Float32Array(2 * cells + 1);
    obs[this.pos] = 1;
    obs[cells + this.goal] = 1;
    obs[2 * cells] = this.hasKey ? 1 : 0;
    return obs;
  }

  private blocked(cell: number): boolean {
    if (this.layout.walls[cell]) return true;
    return cell === this.layout.door && !this.hasKey;
  }

  step(action: number): StepResult {
    if (this.done) throw new Error('step() after the episode ended');
    let move = action;
    if (this.config.slip > 0 && this.rng!.next() < this.config.slip) move = this.rng!.int(4);
    const { rows, cols } = this.layout;
    const r = Math.floor(this.pos / cols) + MOVES[move][0];
    const c = (this.pos % cols) + MOVES[move][1];
    if (r >= 0 && r < rows && c >= 0 && c < cols && !this.blocked(r * cols + c)) this.pos = r * cols + c;
    if (this.pos === this.layout.key) this.hasKey = true;
    this.steps += 1;
    const success = this.pos === this.goal;
    this.done = success || this.steps >= this.maxTokens;
    const reward = (success ? this.config.goal_reward : 0) + this.config.step_penalty;
    return { reward, done: this.done, success, turnEnded: true };
  }

  render(): string {
    const { rows, cols, walls } = this.layout;
    const lines: string[] = [];
    for (let r = 0; r < rows; r++) {
      let line = '';
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        if (i === this.pos) line += 'A';
        else if (walls[i]) line += '#';
        else if (i === this.goal) line += 'G';
        else if (i === this.layout.key && !this.hasKey) line += 'K';
        else if (i === this.layout.door) line += this.hasKey ? '/' : 'D';
        else line += '.';
      }
      lines.push(line);
    }
    return lines.join('\n');
  }

  actionName(action: number): string {
    return ACTIONS[action];
  }
}

/** Heap bytes per grid cell an instance holds: the parsed rows, the floor list, the prompt pools' arrays. */
const BYTES_PER_CELL = 48;

/** Rows × cols of the layout, from the config alone (nothing is built). */
export function gridCells(config: GridworldConfig): number {
  if (config.map) return config.map.length * Math.max(...config.map.map((r) => r.length));
  if (config.size !== undefined) {
    const [r, c] = typeof config.size === 'number' ? [config.size, config.size] : config.size;
    return r * c;
  }
  const rows = GRIDWORLD_PRESETS[presetOf(config)].map;
  return rows.length * rows[0].length;
}

export const gridworldDefinition = defineEnv({
  name: 'gridworld',
  summary: 'grid navigation with walls, slips, keys and doors; one action per turn',
  schema: gridworldSchema,
  factory: (config) => () => new Gridworld(config),
  estimate: (config) => ({
    instanceBytes: gridCells(config) * BYTES_PER_CELL,
    keys: [config.map ? 'env.map' : config.size !== undefined ? 'env.size' : 'env.preset'],
  }),
});

// A corridor of `length` cells: start at the left end, reward 1 for reaching the right end within
// `max_steps`, one action (left or right) per turn. Small enough to train in seconds; a plugin env.
import {
  defineEnv,
  type Env,
  type ObservationSpec,
  type Prompt,
  type Rng,
  type Split,
  type StepResult,
  z,
} from 'entrolab';

const schema = z
  .object({
    length: z.number().int().min(2).max(64).default(6),
    max_steps: z.number().int().min(1).default(12),
  })
  .strict();
type CorridorConfig = z.infer<typeof schema>;

class Corridor implements Env {
  readonly name = 'corridor';
  readonly numActions = 2;
  readonly observation: ObservationSpec;
  readonly maxTokens: number;
  turn = 0;
  private position = 0;

  constructor(private readonly config: CorridorConfig) {
    this.observation = { kind: 'features', size: config.length };
    this.maxTokens = config.max_steps;
  }

  samplePrompt(_rng: Rng, _split: Split): Prompt {
    return { id: 'start' };
  }

  reset(_prompt: Prompt, _rng: Rng): void {
    this.position = 0;
    this.turn = 0;
  }

  observe(): Float32Array {
    const features = new Float32Array(this.config.length);
    features[this.position] = 1;
    return features;
  }

  step(action: number): StepResult {
    this.position = Math.min(this.config.length - 1, Math.max(0, this.position + (action === 1 ? 1 : -1)));
    this.turn += 1;
    const success = this.position === this.config.length - 1;
    return { reward: success ? 1 : 0, done: success || this.turn >= this.maxTokens, success, turnEnded: true };
  }

  render(): string {
    return Array.from({ length: this.config.length }, (_, i) => (i === this.position ? 'A' : '.')).join('');
  }

  actionName(action: number): string {
    return action === 1 ? 'right' : 'left';
  }
}

export const corridor = defineEnv({
  name: 'corridor',
  summary: 'walk right along a corridor to its end (the custom-method example)',
  schema,
  factory: (config) => () => new Corridor(config),
});

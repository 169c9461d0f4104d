// Every command's usage line and summary, enough for `entrolab --help` and for suggesting the
// nearest command on a typo; the module with its options and handler is imported only when its
// command runs. test/cli/cli.test.ts checks that each entry matches its module.
import type { CommandModule } from 'yargs';

export interface CommandEntry {
  name: string;
  usage: string;
  describe: string;
  // biome-ignore lint/suspicious/noExplicitAny: yargs command modules differ in their argument types
  load(): Promise<CommandModule<any, any>>;
}

export const COMMANDS: CommandEntry[] = [
  {
    name: 'train',
    usage: 'train <config>',
    describe: 'train a policy with GRPO (+ regularizers) from a YAML config',
    load: async () => (await import('./commands/train.ts')).trainCommand,
  },
  {
    name: 'eval',
    usage: 'eval <run>',
    describe: 'evaluate a trained run on its test split: greedy and sampled success rate, pass@1 and pass@k',
    load: async () => (await import('./commands/eval.ts')).evalCommand,
  },
  {
    name: 'play',
    usage: 'play <run>',
    describe: 'watch a trained policy in its environment (terminal rendering)',
    load: async () => (await import('./commands/play.ts')).playCommand,
  },
  {
    name: 'sft',
    usage: 'sft <config>',
    describe: "supervised warm start of a text policy on the env's demonstrations (then GRPO with init_from)",
    load: async () => (await import('./commands/sft.ts')).sftCommand,
  },
  {
    name: 'sweep',
    usage: 'sweep <file>',
    describe: 'run a grid of configs × seeds in parallel processes (resumable), then report',
    load: async () => (await import('./commands/sweep.ts')).sweepCommand,
  },
  {
    name: 'report',
    usage: 'report <dir>',
    describe: 'write report.html and SVG figures for a run or sweep directory; print the summary table',
    load: async () => (await import('./commands/report.ts')).reportCommand,
  },
  {
    name: 'repro',
    usage: 'repro [claims..]',
    describe:
      "reproduce the papers' claims: run each claim's sweeps, " +
      'then a page per claim with figures, 95% CIs and a verdict',
    load: async () => (await import('./commands/repro.ts')).reproCommand,
  },
  {
    name: 'loss',
    usage: 'loss <batch>',
    describe: 'compute the loss, per-token loss, gradient and regularizer selections of one JSON mini-batch',
    load: async () => (await import('./commands/loss.ts')).lossCommand,
  },
  {
    name: 'list',
    usage: 'list',
    describe:
      'list the envs, gridworld presets, policies, regularizers, advantage estimators and policy losses a config names',
    load: async () => (await import('./commands/list.ts')).listCommand,
  },
];

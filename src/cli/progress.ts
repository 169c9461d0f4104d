// Progress on long work: a live bar (cli-progress) on a terminal, plain lines otherwise.
import cliProgress from 'cli-progress';

export interface Progress {
  update(step: number, values: { reward: number; entropy: number; success: number }): void;
  stop(): void;
}

export function makeProgress(total: number, start: number, label: string, mode: 'auto' | 'quiet'): Progress {
  if (mode === 'quiet') return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format:
          `${label} [{bar}] {value}/{total} steps | reward {reward} | success {success} | ` +
          'entropy {entropy} | eta {eta_formatted}',
        stream: process.stderr,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, start, { reward: '-', entropy: '-', success: '-' });
    return {
      update(step, v) {
        bar.update(step, { reward: v.reward.toFixed(3), entropy: v.entropy.toFixed(3), success: v.success.toFixed(2) });
      },
      stop: () => bar.stop(),
    };
  }
  const every = Math.max(1, Math.floor(total / 20));
  return {
    update(step, v) {
      if (step % every === 0 || step === total) {
        process.stderr.write(
          `${label} step ${step}/${total}  reward ${v.reward.toFixed(3)}  success ${v.success.toFixed(2)}  ` +
            `entropy ${v.entropy.toFixed(3)}\n`,
        );
      }
    },
    stop() {},
  };
}

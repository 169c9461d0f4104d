// Ctrl-C and SIGTERM, the same for every long command (train, sft, sweep, repro): the first signal
// aborts the command's controller (a trainer finishes its step, checkpoints it and returns; a
// sweep sends SIGTERM to its trainers and waits for them), and the command then exits 130. A
// second signal more than 2 s after the first quits at once (exit 130). A terminal's Ctrl-C
// reaches a sweep and its trainers together and the sweep then sends SIGTERM too, so a second
// signal within a moment of the first is the same request, not "quit now".
export const SAME_REQUEST_MS = 2000;

/** The exit status of a command stopped by a signal (128 + SIGINT's number, as shells report it). */
export const INTERRUPTED_EXIT_CODE = 130;

const TRAINER_MESSAGE = 'entrolab: stopping after this step to write a checkpoint (press Ctrl-C again to quit now)';

/**
 * Abort `controller` on SIGINT/SIGTERM until the returned function removes the handlers. `message`
 * is the line logged on the first signal (default: the trainer's).
 */
export function abortOnSignals(
  controller: AbortController,
  log: (line: string) => void,
  message: (signal: NodeJS.Signals) => string = () => TRAINER_MESSAGE,
): () => void {
  let first = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (first && Date.now() - first > SAME_REQUEST_MS) process.exit(INTERRUPTED_EXIT_CODE);
    if (first) return;
    first = Date.now();
    log(`\n${message(signal)}`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** End the command with the interrupted status once its output has drained (no process.exit). */
export function exitInterrupted(): void {
  process.exitCode = INTERRUPTED_EXIT_CODE;
}

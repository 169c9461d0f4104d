// Ctrl-C and SIGTERM for a command that runs a trainer: the first signal aborts the controller (the
// trainer finishes its step, checkpoints it and returns); a second one well after it quits at once.
// A terminal's Ctrl-C reaches a sweep and its trainers together and the sweep then sends SIGTERM
// too, so a second signal within a moment of the first is the same request, not "quit now".
const SAME_REQUEST_MS = 2000;

/** Abort `controller` on SIGINT/SIGTERM until the returned function removes the handlers. */
export function abortOnSignals(controller: AbortController, log: (line: string) => void): () => void {
  let first = 0;
  const onSignal = () => {
    if (first && Date.now() - first > SAME_REQUEST_MS) process.exit(130);
    if (first) return;
    first = Date.now();
    log('\nentrolab: stopping after this step to write a checkpoint (press Ctrl-C again to quit now)');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

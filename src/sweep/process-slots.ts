// A fixed number of process slots shared by several pieces of work (the method table's warm
// starts and its two sweeps), so that together they never run more trainers than there are
// workers, and a slot one of them frees goes to whichever waited longest (first come, first served).

export class ProcessSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`process slots must be a positive integer, got ${size}`);
    this.free = size;
  }

  /** Resolves once a slot is held; call the returned function (once) to give it back. */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    };
  }

  /** Slots nobody holds now. */
  get available(): number {
    return this.free;
  }
}

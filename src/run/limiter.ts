interface Waiter {
  resolve: () => void;
  cancelled: boolean;
}

/** A counting semaphore: at most `limit` holders at once, waiters served in arrival order. */
export class Limiter {
  private active = 0;
  private waiting: Waiter[] = [];
  private head = 0;

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
  }

  /** Takes a free slot at once if there is one (call `release` exactly once afterwards); false when all are held. */
  tryAcquire(): boolean {
    if (this.active >= this.limit) return false;
    this.active++;
    return true;
  }

  /** Resolves when a slot is free (call `release` exactly once afterwards); rejects with the signal's reason if aborted first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, cancelled: false };
      this.waiting.push(waiter);
      signal?.addEventListener(
        "abort",
        () => {
          waiter.cancelled = true;
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  release(): void {
    while (this.head < this.waiting.length) {
      const next = this.waiting[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting = this.waiting.slice(this.head);
        this.head = 0;
      }
      if (!next.cancelled) {
        next.resolve();
        return;
      }
    }
    this.active--;
  }
}

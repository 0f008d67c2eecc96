/**
 * A circuit breaker over attempts: after `failures` consecutive server failures it opens and refuses
 * attempts for `cooldownMs`; then it lets one probe through (half-open). The probe's success closes it,
 * its failure opens it for another cooldown.
 */
export class CircuitBreaker {
  private consecutive = 0;
  private openUntil = 0;
  private probing = false;

  constructor(
    private readonly failures: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether an attempt may go out now; in half-open state only the first caller gets true. */
  allow(): boolean {
    if (this.consecutive < this.failures) return true;
    if (this.now() < this.openUntil || this.probing) return false;
    this.probing = true;
    return true;
  }

  /** Milliseconds until the breaker lets a probe through (0 when closed). */
  remainingMs(): number {
    return this.consecutive < this.failures ? 0 : Math.max(0, this.openUntil - this.now());
  }

  success(): void {
    this.consecutive = 0;
    this.probing = false;
  }

  failure(): void {
    this.consecutive++;
    this.probing = false;
    if (this.consecutive >= this.failures) this.openUntil = this.now() + this.cooldownMs;
  }

  /** An attempt that says nothing about the server's health (e.g. a 400 or a 429) ends a probe without deciding. */
  neutral(): void {
    this.probing = false;
  }
}

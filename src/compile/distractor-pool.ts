import type { EvidencePiece } from "../records/sample.js";
import type { Domain } from "../records/trajectory.js";
import { Random } from "../random.js";

/**
 * Pieces from other trajectories of the same domain, kept as a seeded reservoir sample bounded by
 * pieces and by characters: past the character budget a random piece is let go, so memory stays
 * bounded while every piece keeps about the same chance to be in the pool.
 */
export class DistractorPool {
  private readonly reservoirs = new Map<Domain, EvidencePiece[]>();
  private readonly seen = new Map<Domain, number>();
  private readonly chars = new Map<Domain, number>();
  private readonly ids = new Set<string>();
  private readonly random: Random;

  constructor(
    seed: number,
    private readonly maxPiecesPerDomain: number,
    private readonly maxPieceChars: number,
    /** Text kept per domain at most; pieces past it are let go in a seeded order. */
    private readonly maxCharsPerDomain: number,
  ) {
    this.random = new Random(seed, "distractor-pool");
  }

  offer(domain: Domain, pieces: readonly EvidencePiece[]): void {
    for (const piece of pieces) {
      if (piece.text.length > this.maxPieceChars || this.ids.has(piece.id)) continue;
      this.ids.add(piece.id);
      const reservoir = this.reservoirs.get(domain) ?? [];
      this.reservoirs.set(domain, reservoir);
      const seen = (this.seen.get(domain) ?? 0) + 1;
      this.seen.set(domain, seen);
      const entry = { ...piece, role: "distractor" as const };
      let chars = this.chars.get(domain) ?? 0;
      if (reservoir.length < this.maxPiecesPerDomain) {
        reservoir.push(entry);
        chars += entry.text.length;
      } else {
        const slot = Math.floor(this.random.next() * seen);
        if (slot >= this.maxPiecesPerDomain) continue;
        chars += entry.text.length - reservoir[slot]!.text.length;
        reservoir[slot] = entry;
      }
      while (chars > this.maxCharsPerDomain && reservoir.length > 0) {
        const slot = Math.floor(this.random.next() * reservoir.length);
        chars -= reservoir[slot]!.text.length;
        reservoir[slot] = reservoir[reservoir.length - 1]!;
        reservoir.pop();
      }
      this.chars.set(domain, chars);
    }
  }

  toJSON(): Partial<Record<Domain, EvidencePiece[]>> {
    return Object.fromEntries(this.reservoirs);
  }
}

import type { EvidencePiece } from "../records/sample.js";
import type { Domain } from "../records/trajectory.js";
import { Random } from "../random.js";

/** Pieces from other trajectories of the same domain, kept as a bounded, seeded reservoir sample. */
export class DistractorPool {
  private readonly reservoirs = new Map<Domain, EvidencePiece[]>();
  private readonly seen = new Map<Domain, number>();
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
      if (reservoir.length < this.maxPiecesPerDomain) reservoir.push(entry);
      else {
        const slot = Math.floor(this.random.next() * seen);
        if (slot < this.maxPiecesPerDomain) reservoir[slot] = entry;
      }
    }
  }

  /** The pool per domain, cut to the character budget (the reservoir is a uniform sample, so a prefix is too). */
  toJSON(): Partial<Record<Domain, EvidencePiece[]>> {
    const out: Partial<Record<Domain, EvidencePiece[]>> = {};
    for (const [domain, reservoir] of this.reservoirs) {
      let chars = 0;
      out[domain] = reservoir.filter((piece) => {
        chars += piece.text.length;
        return chars <= this.maxCharsPerDomain;
      });
    }
    return out;
  }
}

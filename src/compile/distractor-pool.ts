import type { EvidencePiece } from "../records/sample.js";
import type { Domain } from "../records/trajectory.js";
import { Random } from "../random.js";

/**
 * Where a pool is, apart from its pieces: with the lines of its log up to here (see `offer`), a pool made
 * from it takes further pieces as this one would have. Small whatever the pool holds, so it can be saved often.
 */
export interface PoolCheckpoint {
  random: [number, number, number, number];
  seen: Partial<Record<Domain, number>>;
  chars: Partial<Record<Domain, number>>;
  /** The pieces held, by their line in the log. */
  slots: Partial<Record<Domain, number[]>>;
}

/** A line of a pool's log (see `offer`): a piece the pool took, or the id of one it met and did not take. */
export type PoolLogEntry = string | EvidencePiece;

/**
 * Pieces from other trajectories of the same domain, kept as a seeded reservoir sample bounded by
 * pieces and by characters: past the character budget a random piece is let go, so memory stays
 * bounded while every piece keeps about the same chance to be in the pool.
 */
export class DistractorPool {
  private readonly reservoirs = new Map<Domain, EvidencePiece[]>();
  /** The log line of each piece held, in the reservoirs' order. */
  private readonly slots = new Map<Domain, number[]>();
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
    /** A pool saved earlier: its `checkpoint()` and its log's lines up to it, parsed (drawn with the same seed and bounds). */
    saved?: { checkpoint: PoolCheckpoint; log: readonly PoolLogEntry[] },
  ) {
    this.random = saved ? Random.at(saved.checkpoint.random) : new Random(seed, "distractor-pool");
    if (!saved) return;
    const held: (EvidencePiece | undefined)[] = saved.log.map((logged) => {
      this.ids.add(typeof logged === "string" ? logged : logged.id);
      return typeof logged === "string" ? undefined : logged;
    });
    const { seen, chars, slots } = saved.checkpoint;
    for (const [domain, lines] of Object.entries(slots) as [Domain, number[]][]) {
      this.slots.set(domain, [...lines]);
      this.reservoirs.set(domain, lines.map((line) => held[line]!));
    }
    for (const [domain, n] of Object.entries(seen) as [Domain, number][]) this.seen.set(domain, n);
    for (const [domain, n] of Object.entries(chars) as [Domain, number][]) this.chars.set(domain, n);
  }

  /**
   * Offers pieces of one trajectory; returns the lines its log gets (one per piece not met before: the piece
   * when the pool takes it, else its id) and whether it took any.
   */
  offer(domain: Domain, pieces: readonly EvidencePiece[]): { log: string[]; took: boolean } {
    const log: string[] = [];
    let took = false;
    for (const piece of pieces) {
      if (piece.text.length > this.maxPieceChars || this.ids.has(piece.id)) continue;
      this.ids.add(piece.id);
      const line = this.ids.size - 1;
      const reservoir = this.reservoirs.get(domain) ?? [];
      const slots = this.slots.get(domain) ?? [];
      this.reservoirs.set(domain, reservoir);
      this.slots.set(domain, slots);
      const seen = (this.seen.get(domain) ?? 0) + 1;
      this.seen.set(domain, seen);
      const entry = { ...piece, role: "distractor" as const };
      let chars = this.chars.get(domain) ?? 0;
      if (reservoir.length < this.maxPiecesPerDomain) {
        reservoir.push(entry);
        slots.push(line);
        chars += entry.text.length;
      } else {
        const slot = Math.floor(this.random.next() * seen);
        if (slot >= this.maxPiecesPerDomain) {
          log.push(JSON.stringify(piece.id));
          continue;
        }
        chars += entry.text.length - reservoir[slot]!.text.length;
        reservoir[slot] = entry;
        slots[slot] = line;
      }
      log.push(JSON.stringify(entry));
      took = true;
      while (chars > this.maxCharsPerDomain && reservoir.length > 0) {
        const slot = Math.floor(this.random.next() * reservoir.length);
        chars -= reservoir[slot]!.text.length;
        reservoir[slot] = reservoir[reservoir.length - 1]!;
        slots[slot] = slots[slots.length - 1]!;
        reservoir.pop();
        slots.pop();
      }
      this.chars.set(domain, chars);
    }
    return { log, took };
  }

  checkpoint(): PoolCheckpoint {
    return {
      random: this.random.position,
      seen: Object.fromEntries(this.seen),
      chars: Object.fromEntries(this.chars),
      slots: Object.fromEntries([...this.slots].map(([domain, lines]) => [domain, [...lines]])),
    };
  }

  toJSON(): Partial<Record<Domain, EvidencePiece[]>> {
    return Object.fromEntries(this.reservoirs);
  }
}

import { createHash } from "node:crypto";

/**
 * A named, seeded generator (sfc32 seeded from sha256 of the seed and the name). Every random choice
 * in acc comes from one of these, so the same seed gives the same output, and two streams with
 * different names (e.g. "shuffle:<trajectory id>", "length:<trajectory id>") never interfere.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | string, name = "") {
    const digest = createHash("sha256").update(`${seed}\u0000${name}`).digest();
    this.a = digest.readUInt32LE(0);
    this.b = digest.readUInt32LE(4);
    this.c = digest.readUInt32LE(8);
    this.d = digest.readUInt32LE(12);
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Where the stream is: a generator made `Random.at` it goes on with the same numbers (a resumed run's). */
  get position(): [number, number, number, number] {
    return [this.a, this.b, this.c, this.d];
  }

  static at(position: readonly [number, number, number, number]): Random {
    const random = new Random(0);
    [random.a, random.b, random.c, random.d] = position;
    return random;
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1) with 53 random bits. */
  next(): number {
    return (this.nextUint32() * 2 ** 21 + (this.nextUint32() >>> 11)) / 2 ** 53;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** A new array with the items in a uniformly random order (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  pick<T>(items: readonly T[]): T {
    // invariant: callers pick only from lists they checked are not empty
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[Math.floor(this.next() * items.length)]!;
  }
}

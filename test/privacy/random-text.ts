import { Random } from "../../src/random.js";

/** Seeded random text for planting secrets: characters of an alphabet, issuer-like tokens, base64. */
export class RandomText {
  readonly random: Random;

  /** `label` names the stream, so two generators with the same seed draw different text. */
  constructor(seed: number, label: string) {
    this.random = new Random(seed, label);
  }

  chars(alphabet: string, n: number): string {
    let out = "";
    for (let i = 0; i < n; i++) out += alphabet[this.random.int(0, alphabet.length - 1)];
    return out;
  }

  /** Random characters with at least one digit and one letter, like every real token of that length. */
  token(alphabet: string, n: number): string {
    for (;;) {
      const out = this.chars(alphabet, n);
      if (/[0-9]/.test(out) && /[A-Za-z]/.test(out)) return out;
    }
  }

  base64(bytes: number): string {
    const raw = Buffer.alloc(bytes);
    for (let i = 0; i < bytes; i++) raw[i] = this.random.int(0, 255);
    return raw.toString("base64");
  }
}

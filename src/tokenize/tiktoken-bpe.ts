import type { Tiktoken } from "tiktoken/lite";
import { TextRuns } from "./added-tokens.js";
import { tiktokenClass } from "./tiktoken-wasm.js";
import type { TokenCodec } from "./tokenizer.js";

/** `ignoreBOM` keeps a leading U+FEFF: it is text the tokens stand for, not a byte-order mark to drop. */
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * A BPE run whole by tiktoken (Rust compiled to WASM), for byte-level tokenizer.json files converted to
 * ranks whose pre-tokenizer pattern does not read the same in JavaScript (`jsPreTokenizer` refuses it):
 * the bundled and OpenAI patterns do, and go to RankTableCodec. With `splitAddedTokens`, the special
 * tokens are matched in the raw text first (TextRuns).
 */
export class TiktokenCodec implements TokenCodec {
  private readonly bpe: Tiktoken;
  private readonly runs: TextRuns;

  constructor(options: { ranks: string; pattern: string; specialTokens: ReadonlyMap<string, number>; splitAddedTokens: boolean; nfc: boolean }) {
    const Tiktoken = tiktokenClass();
    this.bpe = new Tiktoken(options.ranks, Object.fromEntries(options.specialTokens), options.pattern);
    this.runs = new TextRuns(options.specialTokens, options.splitAddedTokens, options.nfc);
  }

  encode(text: string): number[] {
    return this.runs.encode(text, (run, ids) => {
      for (const id of this.bpe.encode_ordinary(run)) ids.push(id);
    });
  }

  count(text: string): number {
    return this.runs.count(text, (run) => this.bpe.encode_ordinary(run).length);
  }

  decode(ids: readonly number[]): string {
    return utf8.decode(this.bpe.decode(Uint32Array.from(ids)));
  }

  /** tiktoken aborts the WASM instance on an unknown id in `decode`; asking for one token only throws. */
  isKnownId(id: number): boolean {
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) return false;
    try {
      this.bpe.decode_single_token_bytes(id);
      return true;
    } catch {
      return false;
    }
  }
}

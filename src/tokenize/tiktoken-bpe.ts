import type { Tiktoken } from "tiktoken/lite";
import { AddedTokenSplitter } from "./added-tokens.js";
import { asciiPieces } from "./ascii-pieces.js";
import { HeapBpe } from "./heap-bpe.js";
import { jsPreTokenizer, PieceCoder, splitsAtLines } from "./pieces.js";
import { tiktokenClass } from "./tiktoken-wasm.js";
import type { TokenCodec } from "./tokenizer.js";

/** `ignoreBOM` keeps a leading U+FEFF: it is text the tokens stand for, not a byte-order mark to drop. */
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * A BPE run by tiktoken (Rust compiled to WASM): the OpenAI encodings, and byte-level tokenizer.json
 * files converted to ranks. With `splitAddedTokens`, the special tokens are matched in the raw text
 * first and each run between them is NFC-normalised on its own when `nfc` is set: normalising the
 * whole text could fuse a token's last character with a combining mark that follows
 * (`<think>` + U+0338 → `<think≯`).
 *
 * When the pre-tokenizer pattern reads the same in JavaScript (the bundled and OpenAI patterns do),
 * text is split into pieces here and each piece encoded on its own (see PieceCoder): long pieces go to
 * an O(n log n) merge instead of tiktoken's quadratic one. Other patterns go to tiktoken whole.
 */
export class TiktokenCodec implements TokenCodec {
  private readonly bpe: Tiktoken;
  private readonly splitter: AddedTokenSplitter | undefined;
  private readonly nfc: boolean;
  private readonly pieces: PieceCoder | undefined;
  private heap: HeapBpe | undefined;

  constructor(options: { ranks: string; pattern: string; specialTokens: ReadonlyMap<string, number>; splitAddedTokens: boolean; nfc: boolean }) {
    const preTokenizer = jsPreTokenizerOrUndefined(options.pattern);
    // With the pieces split here, tiktoken only merges within one piece: a pattern that takes the piece
    // whole gives the same ids, and compiling the real one (Unicode classes) took ~200 of the ~570 CPU-ms
    // of building Qwen3's (bench:export).
    const Tiktoken = tiktokenClass();
    this.bpe = new Tiktoken(options.ranks, Object.fromEntries(options.specialTokens), preTokenizer ? WHOLE_PIECE : options.pattern);
    this.splitter = options.splitAddedTokens ? new AddedTokenSplitter(options.specialTokens) : undefined;
    this.nfc = options.nfc;
    if (preTokenizer) {
      this.pieces = new PieceCoder(preTokenizer, {
        short: (piece) => this.bpe.encode_ordinary(piece),
        // Built on first use: parsing the ranks takes a moment and most texts have no long piece.
        long: () => (this.heap ??= new HeapBpe(options.ranks)),
      }, splitsAtLines(options.pattern), asciiPieces(options.pattern, preTokenizer));
    }
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    this.forEachRun(
      text,
      (run) => {
        if (this.pieces) this.pieces.encode(run, ids);
        else for (const id of this.bpe.encode_ordinary(run)) ids.push(id);
      },
      (id) => ids.push(id),
    );
    return ids;
  }

  count(text: string): number {
    let total = 0;
    this.forEachRun(
      text,
      (run) => {
        total += this.pieces ? this.pieces.count(run) : this.bpe.encode_ordinary(run).length;
      },
      () => total++,
    );
    return total;
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

  /** Calls `onRun` with each (normalised) run of text between added tokens, `onAdded` with each added token. */
  private forEachRun(text: string, onRun: (run: string) => void, onAdded: (id: number) => void): void {
    const run = (part: string) => onRun(this.nfc ? part.normalize("NFC") : part);
    if (this.splitter === undefined) run(text);
    else this.splitter.split(text, run, onAdded);
  }
}

/** tiktoken's pattern when the pieces are split in JavaScript: each piece is one match. */
const WHOLE_PIECE = "[\\s\\S]+";

function jsPreTokenizerOrUndefined(pattern: string): RegExp | undefined {
  try {
    return jsPreTokenizer(pattern);
  } catch {
    return undefined;
  }
}

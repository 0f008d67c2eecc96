import { Tiktoken } from "tiktoken/lite";
import { AddedTokenSplitter } from "./added-tokens.js";
import { jsPreTokenizer, PieceCounter } from "./piece-count.js";
import type { TokenCodec } from "./tokenizer.js";

/** `ignoreBOM` keeps a leading U+FEFF: it is text the tokens stand for, not a byte-order mark to drop. */
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * A BPE run by tiktoken (Rust compiled to WASM): the OpenAI encodings, and byte-level tokenizer.json
 * files converted to ranks. With `splitAddedTokens`, the special tokens are matched in the raw text
 * first and each run between them is NFC-normalised on its own when `nfc` is set: normalising the
 * whole text could fuse a token's last character with a combining mark that follows
 * (`<think>` + U+0338 → `<think≯`).
 */
export class TiktokenCodec implements TokenCodec {
  private readonly bpe: Tiktoken;
  private readonly splitter: AddedTokenSplitter | undefined;
  private readonly nfc: boolean;
  private readonly pieces: PieceCounter | undefined;

  /** `countByPieces`: count through a PieceCounter (for plain encodings: no added-token split, no NFC). */
  constructor(options: { ranks: string; pattern: string; specialTokens: ReadonlyMap<string, number>; splitAddedTokens: boolean; nfc: boolean; countByPieces?: boolean }) {
    this.bpe = new Tiktoken(options.ranks, Object.fromEntries(options.specialTokens), options.pattern);
    this.splitter = options.splitAddedTokens ? new AddedTokenSplitter(options.specialTokens) : undefined;
    this.nfc = options.nfc;
    if (options.countByPieces) {
      if (options.splitAddedTokens || options.nfc) throw new Error("counting by pieces needs plain text: no added-token split, no NFC");
      this.pieces = new PieceCounter(jsPreTokenizer(options.pattern), (piece) => this.bpe.encode_ordinary(piece).length);
    }
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    this.forEachPiece(
      text,
      (piece) => {
        for (const id of piece) ids.push(id);
      },
      (id) => ids.push(id),
    );
    return ids;
  }

  count(text: string): number {
    if (this.pieces) return this.pieces.count(text);
    let total = 0;
    this.forEachPiece(
      text,
      (piece) => {
        total += piece.length;
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

  private forEachPiece(text: string, onPiece: (ids: Uint32Array) => void, onAdded: (id: number) => void): void {
    const encodeRun = (run: string) => onPiece(this.bpe.encode_ordinary(this.nfc ? run.normalize("NFC") : run));
    if (this.splitter === undefined) encodeRun(text);
    else this.splitter.split(text, encodeRun, onAdded);
  }
}

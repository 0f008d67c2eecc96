import type { Tokenizer } from "./types.js";

export interface EncodeThroughput {
  bytes: number;
  tokens: number;
  seconds: number;
  /** UTF-8 megabytes (10^6 bytes) per second. */
  mbPerSecond: number;
}

/**
 * Raw encode speed of `tokenizer` on `texts` (one call per text, as a pipeline would tokenize pieces):
 * the floor a compile run is measured against, since every byte of evidence is tokenized once.
 */
export function measureEncodeThroughput(tokenizer: Pick<Tokenizer, "count">, texts: Iterable<string>): EncodeThroughput {
  let bytes = 0;
  let tokens = 0;
  let elapsed = 0n;
  for (const text of texts) {
    bytes += Buffer.byteLength(text);
    const start = process.hrtime.bigint();
    tokens += tokenizer.count(text);
    elapsed += process.hrtime.bigint() - start;
  }
  const seconds = Number(elapsed) / 1e9;
  return { bytes, tokens, seconds, mbPerSecond: bytes / 1e6 / seconds };
}

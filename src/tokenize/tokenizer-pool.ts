import { siblingModule, WorkerPool } from "../run/worker-pool.js";

export interface EncodeTask {
  spec: string;
  op: "count" | "encode";
  texts: string[];
}

/** Token counts per text; with `encode`, all ids back to back (transferred, not copied). */
export interface EncodeResult {
  lengths: Uint32Array;
  ids?: Uint32Array;
}

/** Batches per worker, so that uneven texts still spread over every worker. */
const BATCHES_PER_WORKER = 4;
/** Less text than this per batch is not worth another message (a round trip through both threads). */
const MIN_BATCH_CHARS = 64 * 1024;

/**
 * Encodes batches of texts on worker threads, each holding its own copy of the tokenizer named by
 * `spec` (anything `resolveTokenizer` takes). Results come back in input order and equal the
 * in-process tokenizer's.
 */
export class TokenizerPool {
  private readonly pool: WorkerPool<EncodeResult>;

  constructor(
    private readonly spec: string,
    private readonly workers: number,
  ) {
    this.pool = new WorkerPool<EncodeResult>(siblingModule(import.meta.url, "encode-worker"), workers);
  }

  async count(texts: readonly string[]): Promise<number[]> {
    const results = await this.runBatches("count", texts);
    return results.flatMap((result) => Array.from(result.lengths));
  }

  async encode(texts: readonly string[]): Promise<number[][]> {
    const results = await this.runBatches("encode", texts);
    return results.flatMap(({ lengths, ids }) => {
      let offset = 0;
      return Array.from(lengths, (length) => {
        offset += length;
        return Array.from(ids!.subarray(offset - length, offset));
      });
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private runBatches(op: EncodeTask["op"], texts: readonly string[]): Promise<EncodeResult[]> {
    let chars = 0;
    for (const text of texts) chars += text.length;
    const batchCount = Math.max(1, Math.min(this.workers * BATCHES_PER_WORKER, Math.ceil(chars / MIN_BATCH_CHARS)));
    const size = Math.max(1, Math.ceil(texts.length / batchCount));
    const batches: Promise<EncodeResult>[] = [];
    for (let start = 0; start < texts.length; start += size) {
      batches.push(this.pool.run({ spec: this.spec, op, texts: texts.slice(start, start + size) } satisfies EncodeTask));
    }
    return Promise.all(batches);
  }
}

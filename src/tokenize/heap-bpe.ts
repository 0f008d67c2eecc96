import { MAX_RANKS, type RankTable } from "./rank-table.js";

/**
 * tiktoken's byte-pair merge in O(n log n): a heap of adjacent pairs keyed by (rank, position) over a
 * linked list of parts. tiktoken rescans every pair after each merge, which is quadratic in the piece's
 * length (a 100,000-byte run of spaces takes seconds, of CJK minutes); the merges made here are the
 * same — the pair of lowest rank, the leftmost among equals — so the tokens are the same.
 */
export class HeapBpe {
  private readonly byteRank: Int32Array;
  private readonly longestToken: number;
  /** Rank of the concatenation of two ranks' bytes (NONE when it is no token), by `left * MAX_RANKS + right`. */
  private readonly pairs = new PairMemory();
  private readonly encoder = new TextEncoder();
  private buffer = new Uint8Array(1024);
  /** The bytes of a pair of tokens, joined to be looked up. */
  private readonly joined: Uint8Array;
  // Work arrays of `merge`, kept between pieces (grown as needed).
  private token = new Int32Array(0);
  private next = new Int32Array(0);
  private prev = new Int32Array(0);
  /** Rank of the pair that starts at part i (NONE when there is no such token). */
  private pairRank = new Int32Array(0);
  private readonly queue = new PairQueue();

  constructor(private readonly table: RankTable) {
    // invariant: rank tables hold at most MAX_RANKS ranks, the pairs' key space
    if (table.size > MAX_RANKS) throw new Error(`rank table of ${table.size} ranks: HeapBpe takes at most ${MAX_RANKS}`);
    this.byteRank = table.byteRank;
    this.longestToken = table.longestToken;
    this.joined = new Uint8Array(2 * table.longestToken);
  }

  /** Appends the tokens of one pre-tokenized piece to `out`, as tiktoken's `encode_ordinary` would. */
  encodePiece(piece: string, out: number[]): void {
    const length = this.utf8(piece);
    const bytes = this.buffer;
    if (length <= this.longestToken) {
      // tiktoken takes a piece that is a token as it is, before merging.
      const whole = this.table.rank(bytes, 0, length);
      if (whole !== NONE) {
        out.push(whole);
        return;
      }
    }
    if (length === 1) {
      out.push(this.byteRank[bytes[0]!]!);
      return;
    }
    this.merge(bytes, length, out);
  }

  /** The number of tokens of one pre-tokenized piece. */
  countPiece(piece: string): number {
    const out: number[] = [];
    this.encodePiece(piece, out);
    return out.length;
  }

  private merge(bytes: Uint8Array, n: number, out: number[]): void {
    if (this.token.length < n) {
      const size = Math.max(n, 2 * this.token.length);
      this.token = new Int32Array(size);
      this.next = new Int32Array(size);
      this.prev = new Int32Array(size);
      this.pairRank = new Int32Array(size);
    }
    // Parts are identified by their first byte's position; `token[i]` is the rank of the part at i.
    const { token, next, prev, pairRank } = this;
    const queue = this.queue;
    queue.reset(n);
    for (let i = 0; i < n; i++) {
      token[i] = this.byteRank[bytes[i]!]!;
      next[i] = i + 1;
      prev[i] = i - 1;
    }
    for (let i = 0; i + 1 < n; i++) {
      const rank = this.pair(token[i]!, token[i + 1]!);
      pairRank[i] = rank;
      if (rank !== NONE) queue.push(rank, i);
    }
    pairRank[n - 1] = NONE;
    for (let i = queue.pop(); i >= 0; i = queue.pop()) {
      const rank = queue.rank;
      // Stale entries (the part merged away, or its pair changed since) are skipped.
      if (pairRank[i] !== rank) continue;
      const j = next[i]!;
      token[i] = rank;
      const after = next[j]!;
      next[i] = after;
      pairRank[j] = NONE;
      if (after < n) prev[after] = i;
      const right = after < n ? this.pair(rank, token[after]!) : NONE;
      pairRank[i] = right;
      if (right !== NONE) queue.push(right, i);
      const p = prev[i]!;
      if (p >= 0) {
        const left = this.pair(token[p]!, rank);
        pairRank[p] = left;
        if (left !== NONE) queue.push(left, p);
      }
    }
    for (let i = 0; i < n; i = next[i]!) out.push(token[i]!);
  }

  private pair(left: number, right: number): number {
    const key = left * MAX_RANKS + right;
    let rank = this.pairs.get(key);
    if (rank === UNKNOWN) {
      rank = this.joinedRank(left, right);
      this.pairs.set(key, rank);
    }
    return rank;
  }

  /** The rank of two ranks' bytes joined, or NONE. */
  private joinedRank(left: number, right: number): number {
    const { offsets, blob } = this.table;
    const leftStart = offsets[left]!;
    const leftLength = offsets[left + 1]! - leftStart;
    const rightStart = offsets[right]!;
    const length = leftLength + offsets[right + 1]! - rightStart;
    if (length > this.longestToken) return NONE;
    this.joined.set(blob.subarray(leftStart, leftStart + leftLength), 0);
    this.joined.set(blob.subarray(rightStart, rightStart + length - leftLength), leftLength);
    return this.table.rank(this.joined, 0, length);
  }

  /** Writes the piece's UTF-8 into `this.buffer` (grown as needed) and returns its length. */
  private utf8(piece: string): number {
    if (this.buffer.length < piece.length * 3) this.buffer = new Uint8Array(piece.length * 3);
    return this.encoder.encodeInto(piece, this.buffer).written;
  }
}

const NONE = -1;
/** Positions are below 2^31 and ranks below MAX_RANKS (2^21), so (rank, position) keys stay exact in a double. */
const POSITION_SPACE = 2 ** 31;
const UNKNOWN = -2;
/** Slots of the pair memory at most (it starts over when half full). */
const MAX_REMEMBERED_PAIRS = 1 << 21;

/**
 * Remembered pair ranks: open addressing on typed arrays (a Map of a million numbers is slower and
 * larger). Starts over when half full, so a long piece of varied text keeps it bounded.
 */
class PairMemory {
  private keys = new Float64Array(1 << 12).fill(-1);
  private values = new Int32Array(1 << 12);
  private size = 0;

  get(key: number): number {
    const mask = this.keys.length - 1;
    for (let slot = hash(key) & mask; ; slot = (slot + 1) & mask) {
      const found = this.keys[slot]!;
      if (found === key) return this.values[slot]!;
      if (found === -1) return UNKNOWN;
    }
  }

  set(key: number, value: number): void {
    if (2 * (this.size + 1) > this.keys.length) {
      if (this.keys.length < MAX_REMEMBERED_PAIRS) this.grow();
      else {
        this.keys.fill(-1);
        this.size = 0;
      }
    }
    const mask = this.keys.length - 1;
    let slot = hash(key) & mask;
    while (this.keys[slot] !== -1) slot = (slot + 1) & mask;
    this.keys[slot] = key;
    this.values[slot] = value;
    this.size++;
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Float64Array(keys.length * 2).fill(-1);
    this.values = new Int32Array(keys.length * 2);
    this.size = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== -1) this.set(keys[i]!, values[i]!);
  }
}

/** Mixes a (left, right) key, below 2^42, into 32 bits. */
function hash(key: number): number {
  const low = key | 0;
  const high = (key / 4294967296) | 0;
  return Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b) ^ (low >>> 15);
}

/**
 * The pending pairs, popped by lowest rank then leftmost position. Merging sweeps left to right, so
 * the positions pushed for one rank mostly rise: they are kept as ascending runs (a new run only when
 * a position comes out of order), and a binary heap orders the runs by (rank, first pending position).
 * A long run of one character then costs O(1) per pair instead of a heap operation. Storage is typed
 * arrays kept between pieces: touching fresh memory costs more than the merging itself.
 */
class PairQueue {
  /** Rank of the entry last popped. */
  rank = NONE;
  // Entries: a position and the next entry of its run.
  private entryPosition = new Int32Array(0);
  private entryNext = new Int32Array(0);
  private entries = 0;
  // Runs: rank, first pending and last entry, and the heap key rank * POSITION_SPACE + first position.
  private runRank = new Int32Array(0);
  private runHead = new Int32Array(0);
  private runTail = new Int32Array(0);
  private runKey = new Float64Array(0);
  private runs = 0;
  /** Run ids ordered as a binary heap by key. */
  private heap = new Int32Array(0);
  private heapSize = 0;
  /** The run each rank appends to (the last one started for it, while it has entries pending). */
  private readonly open = new Map<number, number>();

  /** Empties the queue, with room for the pushes of a piece of n bytes (n - 1 pairs, then two per merge). */
  reset(n: number): void {
    const capacity = 3 * n;
    if (this.entryPosition.length < capacity) {
      this.entryPosition = new Int32Array(capacity);
      this.entryNext = new Int32Array(capacity);
      this.runRank = new Int32Array(capacity);
      this.runHead = new Int32Array(capacity);
      this.runTail = new Int32Array(capacity);
      this.runKey = new Float64Array(capacity);
      this.heap = new Int32Array(capacity);
    }
    this.entries = 0;
    this.runs = 0;
    this.heapSize = 0;
    this.open.clear();
  }

  push(rank: number, position: number): void {
    const entry = this.entries++;
    this.entryPosition[entry] = position;
    this.entryNext[entry] = -1;
    const run = this.open.get(rank);
    if (run !== undefined && position > this.entryPosition[this.runTail[run]!]!) {
      this.entryNext[this.runTail[run]!] = entry;
      this.runTail[run] = entry;
      return;
    }
    const fresh = this.runs++;
    this.runRank[fresh] = rank;
    this.runHead[fresh] = entry;
    this.runTail[fresh] = entry;
    this.runKey[fresh] = rank * POSITION_SPACE + position;
    this.open.set(rank, fresh);
    this.siftUp(this.heapSize++, fresh);
  }

  /** The position of the lowest pending pair (its rank in `rank`), or -1 when none is left. */
  pop(): number {
    if (this.heapSize === 0) return -1;
    const run = this.heap[0]!;
    const entry = this.runHead[run]!;
    const position = this.entryPosition[entry]!;
    const rank = this.runRank[run]!;
    this.rank = rank;
    const following = this.entryNext[entry]!;
    if (following >= 0) {
      this.runHead[run] = following;
      this.runKey[run] = rank * POSITION_SPACE + this.entryPosition[following]!;
      this.siftDown(0, run);
    } else {
      if (this.open.get(rank) === run) this.open.delete(rank);
      const last = this.heap[--this.heapSize]!;
      if (this.heapSize > 0) this.siftDown(0, last);
    }
    return position;
  }

  private siftUp(i: number, run: number): void {
    const { heap, runKey } = this;
    const key = runKey[run]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (runKey[heap[parent]!]! <= key) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = run;
  }

  private siftDown(i: number, run: number): void {
    const { heap, runKey } = this;
    const key = runKey[run]!;
    const size = this.heapSize;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && runKey[heap[child + 1]!]! < runKey[heap[child]!]!) child++;
      if (runKey[heap[child]!]! >= key) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = run;
  }
}

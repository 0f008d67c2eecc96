// A compact set of 64-bit n-gram hashes: a sorted typed array (8 bytes per distinct n-gram, no object
// per entry) with a bucket table on the top 16 bits, so a lookup is a short binary search.

const BUCKET_BITS = 16;
const BUCKETS = 1 << BUCKET_BITS;

/**
 * Pairs are stored little-endian as [lo, hi] in a Uint32Array, so the same memory read as a
 * BigUint64Array holds hi·2^32 + lo and sorts with the native numeric sort.
 */
export class NgramSetBuilder {
  private pairs = new Uint32Array(1 << 20);
  private length = 0;
  /** Entries [0, sorted) are sorted and distinct. */
  private sorted = 0;

  add(hi: number, lo: number): void {
    if (this.length * 2 === this.pairs.length) this.grow();
    this.pairs[this.length * 2] = lo;
    this.pairs[this.length * 2 + 1] = hi;
    this.length++;
  }

  /** Distinct n-grams so far (exact after `build`). */
  get size(): number {
    return this.length;
  }

  build(): NgramSet {
    this.compact();
    return new NgramSet(this.pairs.slice(0, this.length * 2));
  }

  /** Sorts and de-duplicates when full; doubles only when most entries are distinct, so memory follows distinct n-grams. */
  private grow(): void {
    this.compact();
    if (this.length * 2 > this.pairs.length / 2) {
      const bigger = new Uint32Array(this.pairs.length * 2);
      bigger.set(this.pairs.subarray(0, this.length * 2));
      this.pairs = bigger;
    }
  }

  private compact(): void {
    if (this.sorted === this.length) return;
    const keys = new BigUint64Array(this.pairs.buffer, 0, this.length);
    keys.sort();
    const pairs = this.pairs;
    let kept = 0;
    for (let i = 0; i < this.length; i++) {
      const lo = pairs[i * 2]!;
      const hi = pairs[i * 2 + 1]!;
      if (kept > 0 && pairs[kept * 2 - 2] === lo && pairs[kept * 2 - 1] === hi) continue;
      pairs[kept * 2] = lo;
      pairs[kept * 2 + 1] = hi;
      kept++;
    }
    this.length = kept;
    this.sorted = kept;
  }
}

export class NgramSet {
  /** starts[b] .. starts[b + 1]: the entries whose hi has top bits b. */
  private readonly starts = new Uint32Array(BUCKETS + 1);
  /**
   * One bit per value of lo's low bits, set for every entry: about 8 bits per entry, so most n-grams
   * that are not in the set are turned away by one memory read, before any search.
   */
  private readonly filter: Uint32Array;
  private readonly filterMask: number;

  /** `pairs`: sorted, distinct [lo, hi] pairs. */
  constructor(private readonly pairs: Uint32Array) {
    const size = pairs.length / 2;
    let entry = 0;
    for (let b = 0; b < BUCKETS; b++) {
      this.starts[b] = entry;
      while (entry < size && pairs[entry * 2 + 1]! >>> (32 - BUCKET_BITS) === b) entry++;
    }
    this.starts[BUCKETS] = size;
    const bits = 2 ** Math.min(32, Math.max(10, Math.ceil(Math.log2(size * 8 + 1))));
    this.filter = new Uint32Array(bits / 32);
    this.filterMask = bits - 1;
    for (let i = 0; i < size; i++) {
      const bit = (pairs[i * 2]! & this.filterMask) >>> 0;
      this.filter[bit >>> 5]! |= 1 << (bit & 31);
    }
  }

  get size(): number {
    return this.pairs.length / 2;
  }

  /** Bytes held by the set. */
  get bytes(): number {
    return this.pairs.byteLength + this.starts.byteLength + this.filter.byteLength;
  }

  has(hi: number, lo: number): boolean {
    const bit = (lo & this.filterMask) >>> 0;
    if ((this.filter[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    const bucket = hi >>> (32 - BUCKET_BITS);
    let low = this.starts[bucket]!;
    let high = this.starts[bucket + 1]!;
    const pairs = this.pairs;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const midHi = pairs[mid * 2 + 1]!;
      const midLo = pairs[mid * 2]!;
      if (midHi < hi || (midHi === hi && midLo < lo)) low = mid + 1;
      else high = mid;
    }
    return low < this.pairs.length / 2 && pairs[low * 2 + 1] === hi && pairs[low * 2] === lo;
  }
}

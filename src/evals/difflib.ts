/**
 * Python's `difflib.SequenceMatcher(None, a, b).ratio()` for strings, ported exactly: the elements are
 * Unicode code points (a lone surrogate is one element, as in Python), `isjunk` is None and autojunk is
 * on (when len(b) ≥ 200, every code point occurring more than len(b) // 100 + 1 times in b is
 * "popular" and never starts a match, though it can extend one). Ties break as in CPython: earliest i,
 * then earliest j. Only `b` is indexed, so ratio(a, b) and ratio(b, a) can differ; MRCR passes
 * (response, gold).
 */
export function sequenceMatcherRatio(a: string, b: string): number {
  const sa = codePoints(a);
  const sb = codePoints(b);
  const total = sa.length + sb.length;
  if (total === 0) return 1.0;
  return (2.0 * matchingCharacters(sa, sb)) / total;
}

/** The code points of a string; unpaired surrogates are kept as single elements. */
export function codePoints(text: string): Int32Array {
  const out = new Int32Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out[n++] = (unit - 0xd800) * 0x400 + (next - 0xdc00) + 0x10000;
        i++;
        continue;
      }
    }
    out[n++] = unit;
  }
  return out.subarray(0, n);
}

/**
 * CPython's `b2j` after `__chain_b` (isjunk=None, autojunk=True), as flat arrays: the elements of b that
 * can start a match get dense ids; `positions[start[id]..start[id + 1])` are their ascending indices in b;
 * `aIds[i]` is the id of a[i], or -1 when a[i] is absent from b or popular.
 */
interface Index {
  aIds: Int32Array;
  start: Int32Array;
  positions: Int32Array;
}

function indexB(a: Int32Array, b: Int32Array): Index {
  const counts = new Map<number, number>();
  for (const element of b) counts.set(element, (counts.get(element) ?? 0) + 1);
  const ntest = b.length >= 200 ? Math.floor(b.length / 100) + 1 : Number.POSITIVE_INFINITY;
  const ids = new Map<number, number>();
  const sizes: number[] = [];
  for (const [element, count] of counts) {
    if (count > ntest) continue;
    ids.set(element, sizes.length);
    sizes.push(count);
  }
  const start = new Int32Array(sizes.length + 1);
  for (let id = 0; id < sizes.length; id++) start[id + 1] = start[id]! + sizes[id]!;
  const fill = start.slice(0, sizes.length);
  const positions = new Int32Array(start[sizes.length]!);
  for (let j = 0; j < b.length; j++) {
    const id = ids.get(b[j]!);
    if (id !== undefined) positions[fill[id]!++] = j;
  }
  const aIds = new Int32Array(a.length);
  for (let i = 0; i < a.length; i++) aIds[i] = ids.get(a[i]!) ?? -1;
  return { aIds, start, positions };
}

/**
 * CPython's j2len / newj2len dicts as two length arrays indexed by j + 1, each slot stamped with the
 * step that wrote it: a slot is only read when written by the previous step, so nothing is ever cleared.
 */
interface Lengths {
  evenLength: Int32Array;
  oddLength: Int32Array;
  /** Float64 so that steps never wrap, however long the inputs. */
  evenStamp: Float64Array;
  oddStamp: Float64Array;
  step: number;
}

/** Σ sizes of `get_matching_blocks()` (merging adjacent blocks does not change the sum). */
function matchingCharacters(a: Int32Array, b: Int32Array): number {
  const index = indexB(a, b);
  const size = b.length + 1;
  const lengths: Lengths = {
    evenLength: new Int32Array(size),
    oddLength: new Int32Array(size),
    evenStamp: new Float64Array(size),
    oddStamp: new Float64Array(size),
    step: 0,
  };
  const match = new Int32Array(3);
  let matched = 0;
  const queue: number[] = [0, a.length, 0, b.length];
  while (queue.length > 0) {
    const bhi = queue.pop()!;
    const blo = queue.pop()!;
    const ahi = queue.pop()!;
    const alo = queue.pop()!;
    longestMatch(a, b, index, lengths, alo, ahi, blo, bhi, match);
    const i = match[0]!;
    const j = match[1]!;
    const k = match[2]!;
    if (k === 0) continue;
    matched += k;
    if (alo < i && blo < j) queue.push(alo, i, blo, j);
    if (i + k < ahi && j + k < bhi) queue.push(i + k, ahi, j + k, bhi);
  }
  return matched;
}

/** CPython's `find_longest_match(alo, ahi, blo, bhi)` with an empty bjunk (so its junk-extension passes are no-ops); writes (i, j, k) to `out`. */
function longestMatch(a: Int32Array, b: Int32Array, index: Index, lengths: Lengths, alo: number, ahi: number, blo: number, bhi: number, out: Int32Array): void {
  const { aIds, start, positions } = index;
  let besti = alo;
  let bestj = blo;
  let bestsize = 0;
  // a fresh step, so that no slot written by an earlier call counts as the previous step's
  let step = ++lengths.step;
  for (let i = alo; i < ahi; i++) {
    step++;
    const id = aIds[i]!;
    if (id < 0) continue;
    const odd = (step & 1) === 1;
    const previousLength = odd ? lengths.evenLength : lengths.oddLength;
    const previousStamp = odd ? lengths.evenStamp : lengths.oddStamp;
    const currentLength = odd ? lengths.oddLength : lengths.evenLength;
    const currentStamp = odd ? lengths.oddStamp : lengths.evenStamp;
    const end = start[id + 1]!;
    for (let p = start[id]!; p < end; p++) {
      const j = positions[p]!;
      if (j < blo) continue;
      if (j >= bhi) break;
      const k = (previousStamp[j] === step - 1 ? previousLength[j]! : 0) + 1;
      currentLength[j + 1] = k;
      currentStamp[j + 1] = step;
      if (k > bestsize) {
        besti = i - k + 1;
        bestj = j - k + 1;
        bestsize = k;
      }
    }
  }
  lengths.step = step;

  while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1]) {
    besti--;
    bestj--;
    bestsize++;
  }
  while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] === b[bestj + bestsize]) bestsize++;
  out[0] = besti;
  out[1] = bestj;
  out[2] = bestsize;
}

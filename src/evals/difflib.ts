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

/** Σ sizes of `get_matching_blocks()` (merging adjacent blocks does not change the sum). */
function matchingCharacters(a: Int32Array, b: Int32Array): number {
  const b2j = indexB(b);
  // j2len of CPython, as two arrays indexed by j + 1 so that j - 1 = -1 needs no branch; each call of
  // longestMatch clears what it wrote, so the arrays are shared by every call.
  const state: MatchState = { prev: new Int32Array(b.length + 1), next: new Int32Array(b.length + 1), prevTouched: [], nextTouched: [] };
  let matched = 0;
  const queue: number[] = [0, a.length, 0, b.length];
  while (queue.length > 0) {
    const bhi = queue.pop()!;
    const blo = queue.pop()!;
    const ahi = queue.pop()!;
    const alo = queue.pop()!;
    const [i, j, k] = longestMatch(a, b, b2j, state, alo, ahi, blo, bhi);
    if (k === 0) continue;
    matched += k;
    if (alo < i && blo < j) queue.push(alo, i, blo, j);
    if (i + k < ahi && j + k < bhi) queue.push(i + k, ahi, j + k, bhi);
  }
  return matched;
}

/** CPython's `__chain_b` with isjunk=None and autojunk=True: ascending positions of each element of b, popular ones removed. */
function indexB(b: Int32Array): Map<number, number[]> {
  const b2j = new Map<number, number[]>();
  for (let j = 0; j < b.length; j++) {
    const element = b[j]!;
    const positions = b2j.get(element);
    if (positions === undefined) b2j.set(element, [j]);
    else positions.push(j);
  }
  if (b.length >= 200) {
    const ntest = Math.floor(b.length / 100) + 1;
    for (const [element, positions] of b2j) if (positions.length > ntest) b2j.delete(element);
  }
  return b2j;
}

interface MatchState {
  prev: Int32Array;
  next: Int32Array;
  prevTouched: number[];
  nextTouched: number[];
}

/** CPython's `find_longest_match(alo, ahi, blo, bhi)` with an empty bjunk (so the junk-extension passes are no-ops). */
function longestMatch(
  a: Int32Array,
  b: Int32Array,
  b2j: Map<number, number[]>,
  state: MatchState,
  alo: number,
  ahi: number,
  blo: number,
  bhi: number,
): [number, number, number] {
  let besti = alo;
  let bestj = blo;
  let bestsize = 0;
  for (let i = alo; i < ahi; i++) {
    const positions = b2j.get(a[i]!);
    const { prev, next, nextTouched } = state;
    if (positions !== undefined) {
      for (const j of positions) {
        if (j < blo) continue;
        if (j >= bhi) break;
        const k = prev[j]! + 1;
        next[j + 1] = k;
        nextTouched.push(j + 1);
        if (k > bestsize) {
          besti = i - k + 1;
          bestj = j - k + 1;
          bestsize = k;
        }
      }
    }
    for (const index of state.prevTouched) prev[index] = 0;
    state.prevTouched.length = 0;
    state.prev = next;
    state.next = prev;
    state.nextTouched = state.prevTouched;
    state.prevTouched = nextTouched;
  }
  for (const index of state.prevTouched) state.prev[index] = 0;
  state.prevTouched.length = 0;

  while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1]) {
    besti--;
    bestj--;
    bestsize++;
  }
  while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] === b[bestj + bestsize]) bestsize++;
  return [besti, bestj, bestsize];
}

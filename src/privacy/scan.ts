import { DETECTORS } from "./detectors/index.js";
import type { Finding } from "./detectors/detector.js";
import { buildKeywordIndex, FILTER_SHIFT, foldCode, GRAM_MASK, type KeywordEntry, tableSlot } from "./prefilter.js";
import { type FindingCounts, placeholder, SECRET_TYPES, type SecretType } from "./types.js";

/** A finding and its detector's priority: lower wins when two findings overlap. */
export interface Span extends Finding {
  priority: number;
}

const INDEX = buildKeywordIndex(DETECTORS);
const { filter: FILTER, keys: KEYS, values: VALUES, lists: LISTS, single: SINGLE } = INDEX;
const HASH = 0x9e3779b1 | 0;
// The prefilter's constants as this module's own: V8 folds them into the scan loop (an imported binding is loaded and checked on every character).
const MASK = GRAM_MASK;
const SHIFT = FILTER_SHIFT;
/** The gram of four digits: frequent (years, ids, hashes), so only a run's first four reach the detectors. */
const DIGITS = (48 << 21) | (48 << 14) | (48 << 7) | 48;

/** The priority of generic `key = value` findings, for spans found from a parsed object's key. */
export const ASSIGNMENT_PRIORITY = DETECTORS.findIndex((d) => d.keywords.includes("token"));

/** Every candidate finding in `text`, overlaps not yet resolved: one pass, detectors only where a keyword occurs. */
export function scanSecrets(text: string): Span[] {
  const spans: Span[] = [];
  const length = text.length;
  let gram = INDEX.initial;
  for (let i = 0; i < length; i++) {
    // foldCode, written out: this loop runs for every character redacted.
    const x = text.charCodeAt(i) | 32;
    gram = ((gram << 7) | ((x - 48) >>> 0 < 10 ? 48 : x)) & MASK;
    const h = Math.imul(gram, HASH) >>> SHIFT;
    if ((FILTER[h >>> 5]! & (1 << (h & 31))) !== 0) {
      if (gram === DIGITS && i >= 4 && (text.charCodeAt(i - 4) - 48) >>> 0 < 10) continue;
      const slot = tableSlot(KEYS, gram);
      if (KEYS[slot] === gram) runAll(LISTS[VALUES[slot]!]!, text, i, spans);
    }
  }
  for (const entry of SINGLE) {
    for (let at = text.indexOf(entry.keyword); at !== -1; at = text.indexOf(entry.keyword, at + 1)) runEntry(entry, text, at, spans);
  }
  return spans;
}

/** Runs the detectors of each keyword whose gram ends at `i` and that occurs there in full. */
function runAll(entries: readonly KeywordEntry[], text: string, i: number, spans: Span[]): void {
  for (let e = 0; e < entries.length; e++) {
    const entry = entries[e]!;
    const start = i - entry.back;
    const codes = entry.codes;
    if (start < 0 || start + codes.length > text.length) continue;
    let k = 0;
    while (k < codes.length && foldCode(text.charCodeAt(start + k)) === codes[k]) k++;
    if (k === codes.length) runEntry(entry, text, start, spans);
  }
}

/** Runs the detectors of a keyword that occurs at `start`, each finding marked with its detector's priority. */
function runEntry(entry: KeywordEntry, text: string, start: number, spans: Span[]): void {
  const detectors = entry.detectors;
  for (let d = 0; d < detectors.length; d++) {
    const first = spans.length;
    detectors[d]!.detector.find(text, start, entry.keyword, spans as Finding[]);
    for (let s = first; s < spans.length; s++) spans[s]!.priority = detectors[d]!.priority;
  }
}

/**
 * Overlapping findings become one: their union (nothing any detector found is left), typed by the
 * most specific of them (lowest priority number: a vendor's key inside an Authorization header's
 * credentials). In text order.
 */
export function resolveSpans(spans: Span[]): Span[] {
  if (spans.length <= 1) return spans;
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Span[] = [];
  for (const span of sorted) {
    const last = merged[merged.length - 1];
    if (last === undefined || span.start >= last.end) {
      merged.push({ ...span });
      continue;
    }
    last.end = Math.max(last.end, span.end);
    if (span.priority < last.priority) {
      last.type = span.type;
      last.priority = span.priority;
    }
  }
  return merged;
}

/** The secrets in `text`, in text order, without overlaps. */
export function findSecrets(text: string): Span[] {
  return resolveSpans(scanSecrets(text));
}

/** `text` with every span replaced by its type's placeholder. */
export function replaceSpans(text: string, spans: readonly Finding[]): string {
  if (spans.length === 0) return text;
  let out = "";
  let at = 0;
  for (const span of spans) {
    out += text.slice(at, span.start) + placeholder(span.type);
    at = span.end;
  }
  return out + text.slice(at);
}

/** `text` with every secret replaced by its placeholder. */
export function redactText(text: string): string {
  return replaceSpans(text, findSecrets(text));
}

export function countSpans(spans: readonly Finding[], into: FindingCounts): void {
  for (const span of spans) into[span.type] = (into[span.type] ?? 0) + 1;
}

const KNOWN_TYPES = new Set<string>(SECRET_TYPES);
const PLACEHOLDER = /<SECRET:([a-z0-9-]+)>/g;

/** Counts placeholders already in `text` (redacted by an earlier run). */
export function countPlaceholders(text: string, into: FindingCounts): void {
  if (!text.includes("<SECRET:")) return;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const type = match[1]!;
    if (KNOWN_TYPES.has(type)) into[type as SecretType] = (into[type as SecretType] ?? 0) + 1;
  }
}

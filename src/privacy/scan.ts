import { DETECTORS, type Detector, type Span } from "./detectors.js";
import { type FindingCounts, placeholder, SECRET_TYPES, type SecretType } from "./types.js";

interface Candidate {
  trigger: string;
  detectors: { detector: Detector; priority: number }[];
}

/**
 * The triggers, looked up by their first two characters: the scan reads each character once and looks
 * its pair with the next one up in a 16 K table, so a text without triggers costs one table read per
 * character. A one-character trigger (`@`) is filed under every pair it can start.
 */
const PAIRS = 128 * 128;
const byPair: (Candidate[] | undefined)[] = new Array(PAIRS).fill(undefined);
const pairHit = new Uint8Array(PAIRS);
{
  const candidates = new Map<string, Candidate>();
  DETECTORS.forEach((detector, priority) => {
    for (const trigger of detector.triggers) {
      const candidate = candidates.get(trigger) ?? { trigger, detectors: [] };
      candidate.detectors.push({ detector, priority });
      candidates.set(trigger, candidate);
    }
  });
  for (const candidate of candidates.values()) {
    const first = candidate.trigger.charCodeAt(0);
    const seconds = candidate.trigger.length === 1 ? Array.from({ length: 128 }, (_, i) => i) : [candidate.trigger.charCodeAt(1)];
    for (const second of seconds) {
      (byPair[(first << 7) | second] ??= []).push(candidate);
      pairHit[(first << 7) | second] = 1;
    }
  }
}

/** The priority of generic `key = value` findings, for spans found from a parsed object's key. */
export const ASSIGNMENT_PRIORITY = DETECTORS.findIndex((d) => d.triggers.includes("token"));

/** Every candidate finding in `text`, overlaps not yet resolved. */
export function scanSecrets(text: string): Span[] {
  const spans: Span[] = [];
  const length = text.length;
  let c = length > 0 ? text.charCodeAt(0) : 0;
  for (let i = 0; i < length; i++) {
    // Past the end, and for non-ASCII characters, the next character counts as 0 (no trigger has it second).
    const next = i + 1 < length ? text.charCodeAt(i + 1) : 0;
    if (c < 128 && pairHit[(c << 7) | (next < 128 ? next : 0)] === 1) {
      for (const candidate of byPair[(c << 7) | (next < 128 ? next : 0)]!) {
        if (candidate.trigger.length === 1 || text.startsWith(candidate.trigger, i)) tryCandidate(text, i, candidate, spans);
      }
    }
    c = next;
  }
  return spans;
}

function tryCandidate(text: string, at: number, candidate: Candidate, spans: Span[]): void {
  for (const { detector, priority } of candidate.detectors) {
    const found = detector.find(text, at, candidate.trigger);
    if (found !== undefined) spans.push({ start: found.start, end: found.end, type: found.type, priority });
  }
}

/** Keeps the best of overlapping findings (lowest priority number, then earliest, then longest), in text order. */
export function resolveSpans(spans: Span[]): Span[] {
  if (spans.length <= 1) return spans;
  const ranked = [...spans].sort((a, b) => a.priority - b.priority || a.start - b.start || b.end - a.end);
  const kept: Span[] = [];
  for (const span of ranked) {
    if (kept.every((k) => span.end <= k.start || span.start >= k.end)) kept.push(span);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/** The secrets in `text`, in text order, without overlaps. */
export function findSecrets(text: string): Span[] {
  return resolveSpans(scanSecrets(text));
}

/** `text` with every span replaced by its type's placeholder. */
export function replaceSpans(text: string, spans: readonly Span[]): string {
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

export function countSpans(spans: readonly Span[], into: FindingCounts): void {
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

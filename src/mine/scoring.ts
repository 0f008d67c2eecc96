import type { Link, LinkKind } from "../records/mine.js";

/** How much each kind of link says that two PRs belong to one line of work, before the other factors. */
export const KIND_WEIGHT: Record<LinkKind, number> = {
  closes: 1,
  revert: 1,
  fixes: 0.95,
  "follow-up": 0.9,
  "same-issue": 0.85,
  blame: 0.8,
  reference: 0.6,
  module: 0.4,
};

/**
 * Implicit links decay with the days between the two merges: module links (same author, shared folder)
 * halve every HALF_LIFE_DAYS; blame links only down to BLAME_DECAY_FLOOR, since code lineage a year later
 * still says the later PR works on the earlier one's lines.
 */
export const HALF_LIFE_DAYS = 365;
export const BLAME_DECAY_FLOOR = 0.5;
const DECAY_FLOOR: Partial<Record<LinkKind, number>> = { blame: BLAME_DECAY_FLOOR, module: 0 };

/** A line the later PR only re-indents (or that an intermediate PR re-indented) counts this much of a changed line. */
export const WHITESPACE_LINE_WEIGHT = 0.5;

/**
 * Blame strength = this + the share of the later PR's traced lines that the earlier PR wrote (capped at 1):
 * one line among many is weak evidence, a PR working mostly on the earlier PR's lines strong evidence.
 */
export const BLAME_STRENGTH_FLOOR = 0.3;

/** Same author, shared module and at most this many days apart make a `module` link. */
export const MODULE_WINDOW_DAYS = 14;

/** The module of a path: its directory ("." for top-level files). */
export function moduleOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "." : path.slice(0, slash);
}

export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let shared = 0;
  for (const item of a) if (b.has(item)) shared++;
  return shared / (a.size + b.size - shared);
}

const round = (value: number) => Math.round(value * 10_000) / 10_000;

/**
 * score = weight(kind) × strength × (0.75 + 0.25 × module overlap) × time decay, rounded to 4 places.
 * strength is 1 except for blame (BLAME_STRENGTH_FLOOR + share of the later PR's traced lines that the
 * earlier PR wrote, whitespace-only lines counting WHITESPACE_LINE_WEIGHT, capped at 1) and reverts found by content (the
 * share of the earlier PR undone); module overlap is the Jaccard index of the two PRs' directories (absent
 * for issue links); time decay is floor + (1 − floor) × 2^(−days / HALF_LIFE_DAYS) for blame (floor
 * BLAME_DECAY_FLOOR) and module (floor 0) links, and 1 for explicit references.
 */
export function scoreLink(kind: LinkKind, strength: number, moduleOverlap: number | null, daysApart: number | null): Pick<Link, "score" | "signals"> {
  const weight = KIND_WEIGHT[kind];
  const floor = DECAY_FLOOR[kind];
  const decay = floor !== undefined && daysApart !== null ? floor + (1 - floor) * 2 ** (-daysApart / HALF_LIFE_DAYS) : 1;
  const overlapFactor = moduleOverlap === null ? 1 : 0.75 + 0.25 * moduleOverlap;
  return {
    score: round(weight * strength * overlapFactor * decay),
    signals: {
      weight,
      strength: round(strength),
      module_overlap: moduleOverlap === null ? null : round(moduleOverlap),
      days_apart: daysApart === null ? null : round(daysApart),
      time_decay: round(decay),
    },
  };
}

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

/** Implicit links (blame, module) halve in score every this many days between the two merges. */
export const HALF_LIFE_DAYS = 180;
const IMPLICIT: ReadonlySet<LinkKind> = new Set(["blame", "module"]);

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
 * strength is 1 except for blame (0.5 + share of the later PR's changed lines that the earlier PR wrote,
 * capped at 1); module overlap is the Jaccard index of the two PRs' directories (absent for issue links);
 * time decay is 2^(−days / HALF_LIFE_DAYS) for blame and module links and 1 for explicit references.
 */
export function scoreLink(kind: LinkKind, strength: number, moduleOverlap: number | null, daysApart: number | null): Pick<Link, "score" | "signals"> {
  const weight = KIND_WEIGHT[kind];
  const decay = IMPLICIT.has(kind) && daysApart !== null ? 2 ** (-daysApart / HALF_LIFE_DAYS) : 1;
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

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Link } from "../../src/records/mine.js";

/** One labelled pair of the fixture (see fixtures/SOURCES.md for how pairs were chosen and labelled). */
export interface LabelledPair {
  repo: string;
  earlier: number;
  earlier_commit: string;
  later: number;
  later_commit: string;
  /** text-mention, revert-text, revert-link: chosen independently of blame; blame-sample, module-sample: drawn from acc's links. */
  chosen_by: string[];
  /** A reader would put both PRs in one line of work: the later one fixes, extends, reworks or reverts the earlier. */
  related: boolean;
  /** The later PR undoes (all or part of) the earlier one's change. */
  revert: boolean;
  /** Lines of the earlier PR that the later one changes or removes, as `git blame -w --first-parent` counts them. */
  lineage_lines: number;
  note: string;
}

export interface LabelledSet {
  repositories: Record<string, { tip: string }>;
  pairs: LabelledPair[];
}

export const LABELLED: LabelledSet = JSON.parse(readFileSync(new URL("./fixtures/labelled-links.json", import.meta.url), "utf8"));

/** Where a snapshot of `owner/name` is under `dir`: the fetch layout (owner+name/repo), owner+name, or name. */
export function findSnapshot(dir: string, repo: string): string | undefined {
  const [owner, name] = repo.split("/") as [string, string];
  return [join(dir, `${owner}+${name}`, "repo"), join(dir, `${owner}+${name}`), join(dir, name)].find((path) => existsSync(path));
}

/** The kinds a pair's links say, revert split by what found it, blame by whether any line is a code change. */
export function kindsOf(links: readonly Link[], earlier: number, later: number): Set<string> {
  const kinds = new Set<string>();
  for (const link of links) {
    if (link.from.type !== "pr" || link.from.number !== earlier || link.to.number !== later) continue;
    const sources = new Set(link.evidence.map((e) => e.source));
    if (link.kind === "revert") {
      if (sources.has("diff")) kinds.add("revert (content)");
      if ([...sources].some((s) => s !== "diff")) kinds.add("revert (text)");
      kinds.add("revert (any)");
    } else if (link.kind === "blame") {
      kinds.add(sources.has("blame") ? "blame" : "blame (whitespace only)");
    } else {
      kinds.add(link.kind);
    }
    if (link.score >= 0.3) kinds.add("chain-grade (any kind, score ≥ 0.3)");
  }
  return kinds;
}

export interface Measure {
  kind: string;
  truth: string;
  precision: [number, number];
  recall: [number, number];
}

type Row = LabelledPair & { found: Set<string> };

/**
 * Precision and recall per link kind over the labelled pairs. Precision counts every labelled pair the kind
 * links; recall counts only pairs chosen independently of acc's implicit links (text mentions and reverts),
 * so blame and module samples cannot flatter it. Reverts are judged against `revert`, lineage against git
 * blame's own count, everything else against `related`.
 */
export function measure(rows: readonly Row[]): Measure[] {
  const independent = (r: Row) => r.chosen_by.some((c) => c === "text-mention" || c === "revert-text" || c === "revert-link");
  const judge = (kind: string, truth: string, isTrue: (r: Row) => boolean, pool: (r: Row) => boolean): Measure => {
    const emitted = rows.filter((r) => r.found.has(kind));
    const positives = rows.filter((r) => pool(r) && isTrue(r));
    return { kind, truth, precision: [emitted.filter(isTrue).length, emitted.length], recall: [positives.filter((r) => r.found.has(kind)).length, positives.length] };
  };
  const related = (r: Row) => r.related;
  return [
    ...["revert (text)", "revert (content)", "revert (any)"].map((kind) => judge(kind, "revert", (r) => r.revert, () => true)),
    judge("blame", "related", related, independent),
    judge("blame", "git blame lineage", (r) => r.lineage_lines > 0, independent),
    judge("blame (whitespace only)", "related", related, independent),
    ...["module", "follow-up", "reference", "fixes"].map((kind) => judge(kind, "related", related, independent)),
    judge("chain-grade (any kind, score ≥ 0.3)", "related", related, independent),
  ];
}

export function formatMeasures(measures: readonly Measure[]): string {
  const ratio = ([a, b]: [number, number]) => (b === 0 ? "–" : `${(a / b).toFixed(2)} (${a}/${b})`);
  return ["| link kind | judged against | precision | recall |", "|---|---|---|---|", ...measures.map((m) => `| ${m.kind} | ${m.truth} | ${ratio(m.precision)} | ${ratio(m.recall)} |`)].join("\n");
}

import { readFileSync } from "node:fs";
import { z } from "zod";
import type { Domain } from "../records/trajectory.js";
import { formatProblems, validate } from "../records/validate.js";
import type { Random } from "../random.js";
import { UsageError } from "../errors/acc-error.js";

/** How a sample's target length (prompt tokens) is drawn. */
export type LengthDistribution =
  | { kind: "fixed"; tokens: number }
  | { kind: "uniform"; min: number; max: number }
  | { kind: "loguniform"; min: number; max: number }
  | { kind: "histogram"; bins: { min: number; max: number; weight: number }[] };

/** Defaults: 2k–128k overall; search is filled long (the paper's search split sits near 100k), SQL shortest. */
export const DEFAULT_LENGTHS: Record<Domain, LengthDistribution> = {
  search: { kind: "uniform", min: 32_768, max: 131_072 },
  swe: { kind: "loguniform", min: 8_192, max: 131_072 },
  sql: { kind: "loguniform", min: 4_096, max: 65_536 },
  generic: { kind: "loguniform", min: 2_048, max: 32_768 },
};

export function maxOf(distribution: LengthDistribution): number {
  switch (distribution.kind) {
    case "fixed":
      return distribution.tokens;
    case "uniform":
    case "loguniform":
      return distribution.max;
    case "histogram":
      return Math.max(...distribution.bins.map((b) => b.max));
  }
}

/**
 * A target length drawn from the distribution restricted to lengths ≥ `atLeast` (what the sample's
 * evidence needs), or undefined when the distribution has no such length.
 */
export function drawLength(distribution: LengthDistribution, atLeast: number, random: Random): number | undefined {
  switch (distribution.kind) {
    case "fixed":
      return distribution.tokens >= atLeast ? distribution.tokens : undefined;
    case "uniform": {
      const min = Math.max(distribution.min, atLeast);
      return min > distribution.max ? undefined : Math.floor(min + random.next() * (distribution.max - min + 1));
    }
    case "loguniform": {
      const min = Math.max(distribution.min, atLeast);
      if (min > distribution.max) return undefined;
      return Math.min(distribution.max, Math.floor(Math.exp(Math.log(min) + random.next() * (Math.log(distribution.max + 1) - Math.log(min)))));
    }
    case "histogram": {
      const bins = distribution.bins
        .filter((b) => b.max >= atLeast && b.weight > 0)
        .map((b) => {
          const min = Math.max(b.min, atLeast);
          return { min, max: b.max, weight: (b.weight * (b.max - min + 1)) / (b.max - b.min + 1) };
        });
      const total = bins.reduce((sum, b) => sum + b.weight, 0);
      if (total <= 0) return undefined;
      let point = random.next() * total;
      for (const bin of bins) {
        if (point < bin.weight) return Math.floor(bin.min + random.next() * (bin.max - bin.min + 1));
        point -= bin.weight;
      }
      const last = bins[bins.length - 1]!;
      return last.max;
    }
  }
}

/**
 * Parses `fixed:32000`, `uniform:2000-128000`, `loguniform:4000-64000` or `histogram:<file>`
 * (a CSV of `min,max,weight` rows, or JSON `[{min,max,weight}]`). Throws with the reason.
 */
export function parseLengthSpec(spec: string): LengthDistribution {
  const [kind, rest = ""] = spec.split(/:(.*)/s, 2);
  const positive = (text: string) => {
    const n = Number(text.replace(/k$/i, "000"));
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`length "${text}" in "${spec}" is not a positive whole number`);
    return n;
  };
  const range = () => {
    const [a, b] = rest.split("-");
    if (a === undefined || b === undefined) throw new UsageError(`"${spec}": expected ${kind}:MIN-MAX`);
    const min = positive(a);
    const max = positive(b);
    if (min > max) throw new UsageError(`"${spec}": min is larger than max`);
    return { min, max };
  };
  switch (kind) {
    case "fixed":
      return { kind, tokens: positive(rest) };
    case "uniform":
    case "loguniform":
      return { kind, ...range() };
    case "histogram":
      return { kind, bins: readHistogram(rest) };
    default:
      throw new UsageError(`unknown length distribution "${spec}": use fixed:N, uniform:A-B, loguniform:A-B or histogram:FILE`);
  }
}

/** A histogram file in JSON: its bins' fields as numbers (their ranges are checked with the CSV's rows). */
const HistogramJson = z.array(z.object({ min: z.number(), max: z.number(), weight: z.number() }));

function readHistogram(path: string): { min: number; max: number; weight: number }[] {
  const text = readFileSync(path, "utf8").trim();
  const rows = text.startsWith("[")
    ? histogramJson(text, path)
    : text
        .split("\n")
        .filter((line) => line.trim() !== "" && !/^\s*min\b/i.test(line))
        .map((line) => {
          const [min = Number.NaN, max = Number.NaN, weight = Number.NaN] = line.split(",").map((cell) => Number(cell.trim()));
          return { min, max, weight };
        });
  const bins = rows.map(({ min, max, weight }, i) => {
    if (![min, max, weight].every((n) => Number.isFinite(n)) || min <= 0 || max < min || weight < 0) {
      throw new UsageError(`histogram ${path}, bin ${i + 1}: expected min,max,weight with 0 < min <= max and weight >= 0`);
    }
    return { min, max, weight };
  });
  if (bins.length === 0) throw new UsageError(`histogram ${path} has no bins`);
  return bins;
}

function histogramJson(text: string, path: string): z.infer<typeof HistogramJson> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`histogram ${path}: invalid JSON: ${(error as Error).message}`);
  }
  const checked = validate(HistogramJson, value);
  if (!checked.ok) throw new UsageError(`histogram ${path}: expected [{min, max, weight}]: ${formatProblems(checked.problems)}`);
  return checked.value;
}

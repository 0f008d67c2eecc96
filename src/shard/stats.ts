import { AccError } from "../errors/acc-error.js";
import { isRecord } from "../json.js";

/**
 * Stats of shards added into the stats of the whole run. Counts add; fields named `*_min` / `*_max`
 * take the least / greatest; fractional sums are added in millionths, so that any grouping of the same
 * values gives the same double (stages round what they add to millionths for the same reason).
 */
export function sumStats(a: unknown, b: unknown, key = ""): unknown {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (typeof a === "number" && typeof b === "number") {
    if (key.endsWith("_min")) return Math.min(a, b);
    if (key.endsWith("_max")) return Math.max(a, b);
    return Number.isInteger(a) && Number.isInteger(b) ? a + b : addMillionths(a, b);
  }
  if (isRecord(a) && isRecord(b)) {
    const sum: Record<string, unknown> = {};
    for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) sum[name] = sumStats(a[name], b[name], name);
    return sum;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return a;
  throw new AccError(`stats field ${key || "(top)"} differs between shards and is not a count: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`, { code: "shard-mismatch", fix: "merge the shards of one run (the same command, inputs and --shard N)" });
}

/** a + b for values that are whole millionths: exact, whatever order the values are added in. */
export function addMillionths(a: number, b: number): number {
  return (Math.round(a * 1e6) + Math.round(b * 1e6)) / 1e6;
}

/**
 * stats.json's text: keys sorted at every level, so the file does not depend on the order in which
 * records first named a domain or a reason (which differs between a whole run and the sum of its shards).
 */
export function statsText(stats: unknown): string {
  return `${JSON.stringify(sortKeys(stats), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((name) => [name, sortKeys(value[name])]));
}

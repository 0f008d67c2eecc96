import type { DropRule } from "../formats/types.js";
import { isRecord } from "../json.js";

/** One step of a source path: an object key, an array index, or `$json` (into a string that holds JSON). */
export type PathKey = string | number;

type Segment =
  | { kind: "key"; key: string }
  | { kind: "any" }
  | { kind: "deep" }
  | { kind: "filter"; key: string; values: Set<string> };

export interface CompiledRule {
  rule: DropRule;
  segments: Segment[];
  /** The rule's `markup`, matching every occurrence. */
  markup?: RegExp;
}

const compiled = new WeakMap<readonly DropRule[], CompiledRule[]>();

/** Rules parsed once per importer; a malformed pattern is a programming error and throws. */
export function compileRules(rules: readonly DropRule[]): CompiledRule[] {
  let result = compiled.get(rules);
  if (result === undefined) {
    result = rules.map((rule) => ({
      rule,
      segments: parsePattern(rule.path),
      ...(rule.markup ? { markup: new RegExp(rule.markup.source, rule.markup.flags.includes("g") ? rule.markup.flags : `${rule.markup.flags}g`) } : {}),
    }));
    compiled.set(rules, result);
  }
  return result;
}

function parsePattern(pattern: string): Segment[] {
  return pattern
    .split("/")
    .filter((part) => part !== "")
    .map((part): Segment => {
      if (part === "*") return { kind: "any" };
      if (part === "**") return { kind: "deep" };
      const filter = /^\{([^=}]+)=([^}]*)\}$/.exec(part);
      if (filter) return { kind: "filter", key: filter[1]!, values: new Set(filter[2]!.split("|")) };
      // invariant: drop rules are written in the importers, not read from input
      if (/[{}]/.test(part)) throw new Error(`drop rule path ${JSON.stringify(pattern)}: malformed segment ${JSON.stringify(part)}`);
      return { kind: "key", key: part };
    });
}

/**
 * The first rule whose pattern matches the leaf at `path`; `nodes[i]` is the value `path[i]` was read
 * from (so `nodes` is one shorter than `path`… plus the leaf itself at the end, passed as `leaf`).
 */
export function matchRule(rules: CompiledRule[], path: readonly PathKey[], nodes: unknown[], leaf: unknown): CompiledRule | undefined {
  nodes.push(leaf);
  try {
    for (const rule of rules) if (matches(rule.segments, 0, path, 0, nodes)) return rule;
    return undefined;
  } finally {
    nodes.pop();
  }
}

function matches(segments: Segment[], si: number, path: readonly PathKey[], pi: number, nodes: readonly unknown[]): boolean {
  if (si === segments.length) return pi === path.length;
  const segment = segments[si]!;
  switch (segment.kind) {
    case "filter": {
      const node = nodes[pi];
      if (!isRecord(node)) return false;
      const value = node[segment.key];
      return (typeof value === "string" || typeof value === "number" || typeof value === "boolean") &&
        (segment.values.has("*") || segment.values.has(String(value))) &&
        matches(segments, si + 1, path, pi, nodes);
    }
    case "deep":
      for (let skip = pi; skip <= path.length; skip++) if (matches(segments, si + 1, path, skip, nodes)) return true;
      return false;
    case "any":
      return pi < path.length && matches(segments, si + 1, path, pi + 1, nodes);
    case "key":
      return pi < path.length && String(path[pi]) === segment.key && matches(segments, si + 1, path, pi + 1, nodes);
  }
}

/** A path as the report shows it: array indices become `*`, so the same field of every message is one entry. */
export function pathPattern(path: readonly PathKey[]): string {
  return `/${path.map((key) => (typeof key === "number" ? "*" : key)).join("/")}`;
}

import type { DropReason, DropRule } from "../formats/types.js";
import { secretKeyKind } from "../privacy/values.js";
import { type CompiledRule, compileRules, matchRule, type PathKey, pathPattern } from "./audit-paths.js";

/**
 * The lossless audit: every string leaf of a source record is either found in the trajectories made
 * from it (as a whole, or line by line where the importer split or re-joined it) or explained by one
 * of the importer's drop rules. What is neither is an unexplained loss, reported by its path.
 */

/** Leaves with fewer non-space characters than this carry nothing worth counting ("", "ok", "0"). */
const TRIVIAL = 3;
/** Shorter leaves count as carried only when an output string or line equals them, not as a substring. */
const MIN_SUBSTRING = 12;
/** Distinct dropped paths kept per format; the rest are summed under OTHER_PATHS. */
const MAX_PATHS = 300;
const OTHER_PATHS = "(other paths)";
const EXAMPLE_CHARS = 80;
/**
 * A short identifier under one of these keys is a tag (`"type": "tool_use"`, `"role": "human"`): its meaning
 * is the shape the importer mapped, so its absence is structure, not loss. Every importer gets this rule.
 */
const TAG_KEYS = new Set(["type", "role", "kind", "from", "object"]);
const TAG_VALUE = /^[A-Za-z_][\w.:-]{0,63}$/;
const TAG_RULE: CompiledRule = {
  rule: { path: "**/type", reason: "structure", note: "a type, role or kind tag: its meaning is the record's shape" },
  segments: [],
};

export interface DroppedPath {
  /** Where in the source record, array indices as `*`: `/messages/ * /extra/response/id`. */
  path: string;
  chars: number;
  leaves: number;
  /** null: no drop rule explains it. */
  reason: DropReason | null;
  note?: string;
  /** The start of one dropped text, normalised (and redacted) as the output is. */
  example?: string;
}

export interface AuditCounts {
  records: number;
  /** Characters of every counted string leaf of the source records. */
  source_chars: number;
  /** Of those, the characters found in the output. */
  carried_chars: number;
  /** What was not found, keyed by reason and path (`unexplained /messages/ * /reasoning`). */
  dropped: Record<string, DroppedPath>;
}

/** Text found in the trajectories made from one source record: every string, every line, and all of them joined. */
export class Haystack {
  private readonly exact = new Set<string>();
  private readonly lines = new Set<string>();
  private readonly parts: string[] = [];
  private joined: string | undefined;

  constructor(outputs: readonly unknown[]) {
    for (const output of outputs) this.addStrings(output);
  }

  private addStrings(value: unknown): void {
    if (typeof value === "string") {
      if (this.exact.has(value)) return;
      this.exact.add(value);
      this.parts.push(value);
      if (value.includes("\n")) for (const line of value.split("\n")) this.lines.add(line.trim());
      else this.lines.add(value.trim());
    } else if (Array.isArray(value)) {
      for (const item of value) this.addStrings(item);
    } else if (value !== null && typeof value === "object") {
      for (const item of Object.values(value)) this.addStrings(item);
    }
  }

  /** True when an output string or line is `text`, or (for texts long enough to mean something alone) holds it. */
  has(text: string): boolean {
    if (this.exact.has(text) || this.lines.has(text.trim())) return true;
    return text.length >= MIN_SUBSTRING && this.contains(text);
  }

  /** True when some output string holds `text`, however short. */
  contains(text: string): boolean {
    this.joined ??= this.parts.join("\u0000");
    return this.joined.includes(text);
  }
}

/** How the output spells a source text: the importer's own normalisation (escape codes stripped, redaction, …). */
export type Normalise = (text: string, key?: string) => string;

/** What a source text left in the output: the characters found, and the lines of it that were not. */
export interface Found {
  carried: number;
  missing: string[];
}

/** Audits one source record against the haystack of its trajectories; adds to `into`. */
export function auditRecord(
  source: unknown,
  haystack: Haystack,
  rules: readonly DropRule[],
  normalise: Normalise,
  into: AuditCounts,
  /** Lookups already done against this haystack (source records repeat the same strings). */
  memo: Map<string, Found> = new Map(),
): void {
  const compiled = compileRules(rules);
  const whole = compiled.filter((r) => r.markup === undefined);
  const byMarkup = compiled.filter((r) => r.markup !== undefined);
  into.records++;
  const path: PathKey[] = [];
  const nodes: unknown[] = [];
  const visit = (value: unknown): void => {
    if (typeof value === "string") return leaf(value);
    if (value === null || typeof value !== "object") return;
    nodes.push(value);
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        path.push(i);
        visit(item);
        path.pop();
      });
    } else {
      for (const [key, item] of Object.entries(value)) {
        path.push(key);
        visit(item);
        path.pop();
      }
    }
    nodes.pop();
  };
  const leaf = (text: string): void => {
    if (text.trim().length < TRIVIAL) return;
    if (isTag(path, text)) {
      into.source_chars += text.length;
      return addDropped(into, pathPattern(path), text.length, TAG_RULE.rule, text);
    }
    // Text under a rule is still looked for: the rule only explains what is missing.
    const rule = matchRule(whole, path, nodes, text);
    // A value under a key that names a secret (`"password": …`) is redacted whole, as the trajectory's redaction judges it.
    const last = path[path.length - 1];
    const secretKey = typeof last === "string" && secretKeyKind(last) !== undefined ? last : undefined;
    const found = foundIn(text, secretKey, haystack, normalise, memo);
    if (found.carried < text.length) {
      // A string holding JSON that was parsed (tool calls as text, tool lists) is audited by its parts.
      const parsed = parseJsonText(text);
      if (parsed !== undefined && rule === undefined) {
        path.push("$json");
        nodes.push(text);
        visit(parsed);
        nodes.pop();
        path.pop();
        return;
      }
    }
    into.source_chars += text.length;
    into.carried_chars += found.carried;
    const missing = text.length - found.carried;
    if (missing === 0) return;
    const pattern = pathPattern(path);
    if (rule !== undefined) return addDropped(into, pattern, missing, rule.rule, normalise(text));
    // Markup the importer parsed (tags, labels) is taken out of the missing lines; what is left is looked for.
    const markup = byMarkup.filter((r) => matchRule([r], path, nodes, text) !== undefined);
    const lines = accountLines(found.missing, markup, haystack);
    const scale = lines.total > 0 ? missing / lines.total : 0;
    into.carried_chars += Math.round(lines.recovered * scale);
    let left = missing - Math.round(lines.recovered * scale);
    for (const [markupRule, chars] of lines.explained) {
      const share = Math.min(left, Math.round(chars * scale));
      left -= share;
      addDropped(into, pattern, share, markupRule, markupRule.note);
    }
    if (left > 0) addDropped(into, pattern, left, undefined, lines.example ?? normalise(text));
  };
  visit(source);
}

/**
 * Missing lines with the markup of `rules` taken out: characters of pieces found after all (`recovered`),
 * of markup (by rule), and an example of what is still lost. `total` counts every line with its newline.
 */
function accountLines(
  lines: string[],
  rules: CompiledRule[],
  haystack: Haystack,
): { total: number; recovered: number; explained: Map<DropRule, number>; example: string | undefined } {
  const explained = new Map<DropRule, number>();
  let total = 0;
  let recovered = 0;
  let example: string | undefined;
  for (const line of lines) {
    total += line.length + 1;
    let rest = line;
    let markupChars = 0;
    for (const rule of rules) {
      rest = rest.replace(rule.markup!, (match) => {
        explained.set(rule.rule, (explained.get(rule.rule) ?? 0) + match.length);
        markupChars += match.length;
        return "\u0000";
      });
    }
    if (markupChars === 0) {
      example ??= line.trim();
      continue;
    }
    let lost = 0;
    for (const piece of rest.split("\u0000")) {
      const trimmed = piece.trim();
      // A piece between markup (a tag's value, a label's name) may be short: any place in the output will do.
      if (trimmed.length < TRIVIAL || haystack.contains(trimmed)) continue;
      lost += piece.length;
      example ??= trimmed;
    }
    recovered += line.length + 1 - markupChars - lost;
  }
  return { total, recovered, explained, example };
}

/** The characters of `text` found in the output: all of it, or the lines of it that were found. */
function foundIn(text: string, secretKey: string | undefined, haystack: Haystack, normalise: Normalise, memo: Map<string, Found>): Found {
  const memoKey = secretKey === undefined ? text : `${secretKey}\u0000${text}`;
  const known = memo.get(memoKey);
  if (known !== undefined) return known;
  let found: Found;
  const normal = normalise(text, secretKey);
  if (haystack.has(text) || (normal !== text && haystack.has(normal))) found = { carried: text.length, missing: [] };
  else if (normal.includes("\n")) {
    const missing: string[] = [];
    let missingChars = 0;
    for (const line of normal.split("\n")) {
      if (line.trim().length < TRIVIAL || haystack.has(line)) continue;
      missing.push(line);
      missingChars += line.length + 1;
    }
    // Counted on the source's length (normalisation may have shortened it).
    found = { carried: Math.max(0, text.length - Math.round((missingChars / (normal.length + 1)) * text.length)), missing };
  } else {
    found = { carried: 0, missing: [normal] };
  }
  memo.set(memoKey, found);
  return found;
}

function isTag(path: readonly PathKey[], text: string): boolean {
  const key = path[path.length - 1];
  return typeof key === "string" && TAG_KEYS.has(key) && TAG_VALUE.test(text);
}

function parseJsonText(text: string): object | undefined {
  const start = text.trimStart()[0];
  if (start !== "{" && start !== "[") return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" ? value : undefined;
  } catch {
    return undefined;
  }
}

function addDropped(into: AuditCounts, pattern: string, chars: number, rule: DropRule | undefined, text: string): void {
  if (chars <= 0) return;
  const reason = rule?.reason ?? null;
  let key = `${reason ?? "unexplained"} ${pattern}`;
  if (!(key in into.dropped) && Object.keys(into.dropped).length >= MAX_PATHS) key = `${reason ?? "unexplained"} ${OTHER_PATHS}`;
  const entry = (into.dropped[key] ??= { path: key.slice(key.indexOf(" ") + 1), chars: 0, leaves: 0, reason, ...(rule ? { note: rule.note } : {}) });
  entry.chars += chars;
  entry.leaves++;
  if (entry.example === undefined && reason === null) entry.example = text.trim().slice(0, EXAMPLE_CHARS);
}

export function emptyCounts(): AuditCounts {
  return { records: 0, source_chars: 0, carried_chars: 0, dropped: {} };
}

/** Adds `other` into `into` (another chunk's or record's counts). */
export function addCounts(into: AuditCounts, other: AuditCounts): void {
  into.records += other.records;
  into.source_chars += other.source_chars;
  into.carried_chars += other.carried_chars;
  for (const [pattern, theirs] of Object.entries(other.dropped)) {
    let key = pattern;
    if (!(key in into.dropped) && Object.keys(into.dropped).length >= MAX_PATHS) key = `${theirs.reason ?? "unexplained"} ${OTHER_PATHS}`;
    const mine = into.dropped[key];
    if (mine === undefined) into.dropped[key] = { ...theirs, path: key.slice(key.indexOf(" ") + 1) };
    else {
      mine.chars += theirs.chars;
      mine.leaves += theirs.leaves;
      if (mine.example === undefined && theirs.example !== undefined) mine.example = theirs.example;
    }
  }
}

/** Characters dropped with no rule to explain them. */
export function unexplainedChars(counts: AuditCounts): number {
  let total = 0;
  for (const entry of Object.values(counts.dropped)) if (entry.reason === null) total += entry.chars;
  return total;
}

/** Dropped characters by reason (`unexplained` for those no rule explains). */
export function droppedByReason(counts: AuditCounts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of Object.values(counts.dropped)) {
    const key = entry.reason ?? "unexplained";
    out[key] = (out[key] ?? 0) + entry.chars;
  }
  return out;
}

/** The dropped paths, unexplained first, then by characters. */
export function topDropped(counts: AuditCounts, limit: number): DroppedPath[] {
  return Object.values(counts.dropped)
    .sort((a, b) => Number(a.reason !== null) - Number(b.reason !== null) || b.chars - a.chars || a.path.localeCompare(b.path))
    .slice(0, limit);
}

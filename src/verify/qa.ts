import { excerpt, fail, pass, type Verdict } from "./types.js";

export interface QaOptions {
  /** Token F1 (SQuAD) at or above which an answer passes (default 0.8). */
  f1Threshold: number;
  /** Relative tolerance when both answers are one number (default 1e-6). */
  tolerance: number;
  /**
   * Compare both answers as lists: `set` ignores order and repeats, `ordered` needs the same items in
   * the same order. Without it, only golds that are lists already (a JSON array, `[a, b]`, or one bullet
   * per line) are compared as lists, as sets.
   */
  list?: "set" | "ordered";
}

export const DEFAULT_QA_OPTIONS: QaOptions = { f1Threshold: 0.8, tolerance: 1e-6 };

/** ASCII punctuation and symbols (SQuAD's `string.punctuation`) and every Unicode punctuation mark. */
const PUNCTUATION = /[\p{P}$+<=>^`|~]/gu;
const ARTICLES = /\b(a|an|the)\b/g;

/**
 * SQuAD's answer normalisation: lower case, punctuation removed, articles removed, whitespace
 * collapsed; NFKC first so that full-width and compatibility forms compare equal.
 */
export function normalizeAnswer(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(PUNCTUATION, "").replace(ARTICLES, " ").split(/\s+/).filter(Boolean).join(" ");
}

/** SQuAD's token F1 between two answers (1 when both normalise to nothing). */
export function tokenF1(answer: string, gold: string): number {
  const predicted = normalizeAnswer(answer).split(" ").filter(Boolean);
  const reference = normalizeAnswer(gold).split(" ").filter(Boolean);
  if (predicted.length === 0 || reference.length === 0) return predicted.length === reference.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const token of reference) counts.set(token, (counts.get(token) ?? 0) + 1);
  let common = 0;
  for (const token of predicted) {
    const left = counts.get(token) ?? 0;
    if (left > 0) {
      common++;
      counts.set(token, left - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / predicted.length;
  const recall = common / reference.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Numbers written in a text: signs, thousands separators, decimals, exponents; not the parts of dates or words. */
const NUMBER = /(?<![\p{L}\p{N}.,])[-+−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\d])/gu;

export function numbersIn(text: string): number[] {
  return writtenNumbers(text).map((n) => n.value);
}

/** The numbers of a text with the count of decimals each was written with. */
export function writtenNumbers(text: string): { value: number; decimals: number }[] {
  return [...text.normalize("NFKC").matchAll(NUMBER)].map((match) => {
    const written = match[0].replace(/,/g, "").replace("−", "-");
    const fraction = /\.(\d+)/.exec(written.split(/[eE]/)[0]!);
    return { value: Number(written), decimals: fraction ? fraction[1]!.length : 0 };
  });
}

/** The text as one number and what surrounds it (its unit, normalised), or undefined when it holds no number or several. */
function singleNumber(text: string): { value: number; unit: string } | undefined {
  const normalized = text.normalize("NFKC");
  const matches = [...normalized.matchAll(NUMBER)];
  if (matches.length !== 1) return undefined;
  const match = matches[0]!;
  const unit = normalizeAnswer(normalized.slice(0, match.index) + normalized.slice(match.index + match[0].length));
  return { value: Number(match[0].replace(/,/g, "").replace("−", "-")), unit };
}

/** An answer's words around its number agree with the gold's when it has none, or has every word of the gold's ("about 70 °C" for "70 °C"). */
function unitsAgree(answerUnit: string, goldUnit: string): boolean {
  if (answerUnit === "" || goldUnit === "") return true;
  const words = new Set(answerUnit.split(" "));
  return goldUnit.split(" ").every((word) => words.has(word));
}

export function closeEnough(a: number, b: number, tolerance: number): boolean {
  return a === b || Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b));
}

/** The items of an answer written as a list: a JSON array, `[a, b]`, or one bullet or numbered item per line. */
export function structuredList(text: string): string[] | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith("[") && trimmed.endsWith("]")) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed)) return parsed.map((item) => (typeof item === "string" ? item : JSON.stringify(item)));
    } catch {
      // not JSON: a bracketed list of plain items
    }
    return splitItems(trimmed.slice(1, -1));
  }
  const lines = trimmed.split("\n").filter((line) => line.trim() !== "");
  const bullet = /^\s*(?:[-*•]|\d+[.)])\s+/;
  if (lines.length >= 2 && lines.every((line) => bullet.test(line))) return lines.map((line) => line.replace(bullet, "").trim());
  return undefined;
}

/** Items separated by commas, semicolons, newlines or a final "and". */
function splitItems(text: string): string[] {
  return text
    .split(/[,;\n]|\band\b/)
    .map((item) => item.trim().replace(/^["'`]|["'`]$/g, ""))
    .filter((item) => normalizeAnswer(item) !== "");
}

function itemsEqual(a: string, b: string, tolerance: number): boolean {
  if (normalizeAnswer(a) === normalizeAnswer(b)) return true;
  const x = singleNumber(a);
  const y = singleNumber(b);
  return x !== undefined && y !== undefined && unitsAgree(x.unit, y.unit) && closeEnough(x.value, y.value, tolerance);
}

function verifyList(answer: string, goldItems: string[], ordered: boolean, tolerance: number): Verdict {
  const items = structuredList(answer) ?? splitItems(answer);
  if (ordered) {
    const first = goldItems.findIndex((gold, i) => items[i] === undefined || !itemsEqual(items[i]!, gold, tolerance));
    if (first === -1 && items.length === goldItems.length) return pass("list-match", `all ${goldItems.length} items in order`, 1);
    const at = first === -1 ? goldItems.length : first;
    return fail("mismatch", `lists differ at item ${at + 1}: ${excerpt(items[at] ?? "(none)", 40)} vs gold ${excerpt(goldItems[at] ?? "(none)", 40)}`);
  }
  const unique = (list: string[]) => list.filter((item, i) => list.findIndex((other) => itemsEqual(other, item, tolerance)) === i);
  const golds = unique(goldItems);
  const answers = unique(items);
  const missing = golds.filter((gold) => !answers.some((item) => itemsEqual(item, gold, tolerance)));
  const extra = answers.filter((item) => !golds.some((gold) => itemsEqual(item, gold, tolerance)));
  const matched = golds.length - missing.length;
  const score = golds.length + extra.length === 0 ? 1 : matched / (golds.length + extra.length);
  if (missing.length === 0 && extra.length === 0) return pass("set-match", `the same ${golds.length} items`, 1);
  const parts = [missing.length ? `missing ${missing.map((m) => excerpt(m, 30)).join(", ")}` : "", extra.length ? `extra ${extra.map((e) => excerpt(e, 30)).join(", ")}` : ""];
  return fail("mismatch", `sets differ: ${parts.filter(Boolean).join("; ")}`, score);
}

/**
 * A free-text answer against a gold answer: list comparison when the gold is a list (or `list` is
 * set), else normalised exact match, then one number against one number within the tolerance (the
 * answer's other words must include the gold's: "about 70 °C" passes for "70 °C", "70 °F" does not), then
 * token F1 at the threshold. An F1 pass also needs every number of the gold in the answer, so
 * "413 copies" never passes for "412 copies" however similar the words.
 */
export function verifyQa(answer: string, gold: string, options: QaOptions = DEFAULT_QA_OPTIONS): Verdict {
  const goldItems = options.list ? (structuredList(gold) ?? splitItems(gold)) : structuredList(gold);
  if (goldItems) return verifyList(answer, goldItems, options.list === "ordered", options.tolerance);
  if (normalizeAnswer(answer) === normalizeAnswer(gold)) return pass("exact-match", "normalised answers are equal", 1);
  const x = singleNumber(answer);
  const y = singleNumber(gold);
  if (x && y && unitsAgree(x.unit, y.unit)) {
    if (closeEnough(x.value, y.value, options.tolerance)) return pass("numeric", `${x.value} equals gold ${y.value} within ${options.tolerance}`, 1);
    return fail("mismatch", `number ${x.value} differs from gold ${y.value}`, 0);
  }
  const f1 = tokenF1(answer, gold);
  const answerNumbers = numbersIn(answer);
  const missing = numbersIn(gold).filter((n) => !answerNumbers.some((m) => closeEnough(m, n, options.tolerance)));
  const shown = f1.toFixed(2);
  if (f1 >= options.f1Threshold && missing.length === 0) return pass("f1", `token F1 ${shown} ≥ ${options.f1Threshold}`, f1);
  const why = missing.length > 0 && f1 >= options.f1Threshold ? `gold number ${missing[0]} is not in the answer` : `token F1 ${shown} < ${options.f1Threshold}`;
  return fail("mismatch", `${why} (answer ${excerpt(answer)}, gold ${excerpt(gold)})`, f1);
}

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
/** Printable ASCII text (tabs and line breaks too), and PUNCTUATION's ASCII members (the 32 of SQuAD's `string.punctuation`). */
const ASCII = /^[\t\n\r -~]*$/;
const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/g;

/** Characters of scripts written without spaces between words: each is a token of its own. */
const UNSPACED = /([\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])/gu;

/**
 * SQuAD's answer normalisation: lower case, punctuation removed, articles removed, whitespace
 * collapsed; NFKC first so that full-width and compatibility forms compare equal, and accents on Latin
 * letters folded (Zürich, Zurich). Han and kana characters are separated, so that they are scored one
 * by one (北京 against 北京市 shares two of three).
 */
export function normalizeAnswer(text: string): string {
  // ASCII text has nothing to fold, no marks and no Han or kana: only its punctuation goes
  if (ASCII.test(text)) return text.toLowerCase().replace(ASCII_PUNCTUATION, "").replace(ARTICLES, " ").split(/\s+/).filter(Boolean).join(" ");
  const folded = text.normalize("NFKD").replace(/(\p{Script=Latin})\p{M}+/gu, "$1").normalize("NFKC");
  return folded.toLowerCase().replace(PUNCTUATION, "").replace(ARTICLES, " ").replace(UNSPACED, " $1 ").split(/\s+/).filter(Boolean).join(" ");
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

/**
 * Numbers written in a text: signs, thousands separators, decimals, exponents; not the parts of dates or
 * words, and not decades ("1990s", "1990's" name ten years, not the year 1990).
 */
const NUMBER = /(?<![\p{L}\p{N}.,])[-+−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\d]|['’]?s\b)/gu;

export function numbersIn(text: string): number[] {
  return writtenNumbers(text).map((n) => n.value);
}

/** The numbers of a text (number words and scales read as numbers) with the count of decimals each was written with. */
export function writtenNumbers(text: string): { value: number; decimals: number }[] {
  return numbersOfCanonical(canonicalText(text));
}

/** writtenNumbers of a text already through canonicalText. */
function numbersOfCanonical(canonical: string): { value: number; decimals: number }[] {
  return [...canonical.matchAll(NUMBER)].map((match) => {
    const written = match[0].replace(/,/g, "").replace("−", "-");
    const fraction = /\.(\d+)/.exec(written.split(/[eE]/)[0]!);
    return { value: Number(written), decimals: fraction ? fraction[1]!.length : 0 };
  });
}

/** The text as one number and what surrounds it (its unit, normalised), or undefined when it holds no number or several. */
function singleNumber(canonical: string): { value: number; unit: string } | undefined {
  const matches = [...canonical.matchAll(NUMBER)];
  if (matches.length !== 1) return undefined;
  const match = matches[0]!;
  const unit = normalizeAnswer(canonical.slice(0, match.index) + canonical.slice(match.index + match[0].length));
  return { value: Number(match[0].replace(/,/g, "").replace("−", "-")), unit };
}

const SMALL = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
const TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
const SCALES: Record<string, number> = { hundred: 100, thousand: 1e3, million: 1e6, billion: 1e9, trillion: 1e12 };
const WORD_VALUES = new Map<string, number>([...SMALL.map((w, i) => [w, i] as const), ...TENS.map((w, i) => [w, i * 10] as const).filter(([w]) => w !== "")]);
const NUMBER_WORD = `(?:${[...WORD_VALUES.keys(), ...Object.keys(SCALES)].join("|")})`;
/** A run of number words ("twenty-one", "two hundred and five", "three million"). */
const NUMBER_WORDS = new RegExp(`\\b${NUMBER_WORD}(?:(?:\\s+|-|\\s+and\\s+)${NUMBER_WORD})*\\b`, "giu");
/** Scale letters written against the number: "5k", "$2bn", "3.5M", "$2B" (a lower-case "m" is left alone: metres). */
const SCALE_LETTERS: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, mn: 1e6, bn: 1e9, B: 1e9 };
/** A written number followed by a scale word or letters: "5 million", "1.2 billion", "3 thousand", "5k", "$2bn". */
const SCALED = new RegExp(
  `(?<![\\p{L}\\p{N}.,])(\\d+(?:[.,]\\d+)*)(?:\\s+(${Object.keys(SCALES).join("|")})\\b|(${Object.keys(SCALE_LETTERS).join("|")})(?![\\p{L}\\p{N}]))`,
  "giu",
);

function wordsValue(words: string): number | undefined {
  let total = 0;
  let current = 0;
  let seen = false;
  for (const word of words.toLowerCase().split(/\s+|-/)) {
    if (word === "and" || word === "") continue;
    const small = WORD_VALUES.get(word);
    if (small !== undefined) {
      current += small;
      seen = true;
    } else if (SCALES[word] !== undefined) {
      if (!seen && current === 0) return undefined;
      if (word === "hundred") current = (current || 1) * 100;
      else {
        total += (current || 1) * SCALES[word]!;
        current = 0;
      }
      seen = true;
    }
  }
  return seen ? total + current : undefined;
}

const MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];
const MONTH = `(${MONTHS.join("|")}|${MONTHS.map((m) => m.slice(0, 3)).join("|")}|sept)\\.?`;
/** The start every MONTH spelling has. */
const MONTH_START = /jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec/i;
const pad = (n: number) => String(n).padStart(2, "0");
const monthNumber = (name: string) => MONTHS.findIndex((m) => m.startsWith(name.toLowerCase().slice(0, 3))) + 1;
/** Dates in the forms answers use: 15 August 1843, August 15, 1843, 1843-08-15, August 1843. */
const DATES: [RegExp, (m: RegExpExecArray) => string | undefined][] = [
  [/\b(\d{4})-(\d{1,2})-(\d{1,2})\b/g, (m) => ymd(Number(m[1]), Number(m[2]), Number(m[3]))],
  [new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH},?\\s+(\\d{3,4})\\b`, "gi"), (m) => ymd(Number(m[3]), monthNumber(m[2]!), Number(m[1]))],
  [new RegExp(`\\b${MONTH}\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{3,4})\\b`, "gi"), (m) => ymd(Number(m[3]), monthNumber(m[1]!), Number(m[2]))],
  [new RegExp(`\\b${MONTH},?\\s+(\\d{4})\\b`, "gi"), (m) => (monthNumber(m[1]!) > 0 ? `${m[2]}${pad(monthNumber(m[1]!))}` : undefined)],
];

function ymd(year: number, month: number, day: number): string | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  return `${year}${pad(month)}${pad(day)}`;
}

/**
 * The text with what it says in words or in several forms written one way: dates as `yYYYY mMM dDD`
 * (or `yYYYY mMM`), number words as digits ("two" → 2, "twenty-one" → 21), scales multiplied out
 * ("5 million" → 5000000). Both answers pass through it before they are compared.
 */
export function canonicalText(text: string): string {
  let out = text.normalize("NFKC");
  const digits = /\d/.test(out);
  // every date form has digits, and a month's name or an ISO date's dash
  if (digits && (out.includes("-") || MONTH_START.test(out))) for (const [pattern, format] of DATES) out = out.replace(pattern, (...args) => {
    const date = format(args.slice(0, -2) as unknown as RegExpExecArray);
    // one word per part, so token F1 weighs a date as the three words it was written with
    return date === undefined ? (args[0] as string) : ` y${date.slice(0, 4)} m${date.slice(4, 6)}${date.length > 6 ? ` d${date.slice(6)}` : ""} `;
  });
  if (digits) out = out.replace(SCALED, (whole, digits: string, word: string | undefined, letters: string | undefined) => {
    const scale = word === undefined ? SCALE_LETTERS[letters!] : SCALES[word.toLowerCase()];
    if (scale === undefined) return whole;
    const value = Number(digits.replace(/,/g, "")) * scale;
    return Number.isFinite(value) ? String(Math.round(value * 1e6) / 1e6) : whole;
  });
  return out.replace(NUMBER_WORDS, (words) => {
    const value = wordsValue(words);
    return value === undefined ? words : String(value);
  });
}

/** Words that turn a statement into its opposite. */
const NEGATION = /\b(?:not|no|never|none|neither|nor|without|cannot|isn't|wasn't|aren't|weren't|doesn't|didn't|don't|won't|hasn't|haven't|hadn't|can't|couldn't|shouldn't|wouldn't)\b|n't\b/i;

/** Both answers say it, or neither: "not 412" is no answer to "412". */
function negationAgrees(answer: string, gold: string): boolean {
  return NEGATION.test(answer) === NEGATION.test(gold);
}

/** The same numbers in both (as multisets, within the tolerance). */
function sameNumbers(a: number[], b: number[], tolerance: number): boolean {
  if (a.length !== b.length) return false;
  const left = [...b];
  return a.every((x) => {
    const i = left.findIndex((y) => closeEnough(x, y, tolerance));
    if (i === -1) return false;
    left.splice(i, 1);
    return true;
  });
}

/** Words that make a number a bound rather than a value: "after 1763" is not 1763. */
const BOUND = /\b(?:before|after|over|under|above|below|more|less|fewer|greater|since|until|till|prior|later|earlier|least|most|exceeding|beyond|within|up)\b/;

/**
 * An answer's words around its number agree with the gold's when it has none, or has every word of the
 * gold's ("about 70 °C" for "70 °C"); words that bound the number must be in both.
 */
function unitsAgree(answerUnit: string, goldUnit: string): boolean {
  if (BOUND.test(answerUnit) !== BOUND.test(goldUnit)) return false;
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
  if (normalizeAnswer(canonicalText(a)) === normalizeAnswer(canonicalText(b)) && sameNumbers(numbersIn(a), numbersIn(b), tolerance)) return true;
  const x = singleNumber(canonicalText(a));
  const y = singleNumber(canonicalText(b));
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
 * token F1 at the threshold. Numbers are read before normalisation; an exact match needs the same
 * numbers, and an F1 pass needs every number of the gold in an answer that gives numbers, so "413
 * copies" never passes for "412 copies" however similar the words. Either answer negated and the other
 * not is a mismatch.
 */
export function verifyQa(answer: string, gold: string, options: QaOptions = DEFAULT_QA_OPTIONS): Verdict {
  const goldItems = options.list ? (structuredList(gold) ?? splitItems(gold)) : structuredList(gold);
  if (goldItems) return verifyList(answer, goldItems, options.list === "ordered", options.tolerance);
  // the gold itself (a teacher's usual answer to a short question): equal once normalised, with the same
  // numbers and negation, so the checks below would pass it as this; skipped, they are most of teach's QA cost
  if (answer === gold) return pass("exact-match", "normalised answers are equal", 1);
  const a = canonicalText(answer);
  const g = canonicalText(gold);
  // numbers are read before normalisation strips their signs and points ("1.5" would become "15")
  const answerNumbers = numbersOfCanonical(a).map((n) => n.value);
  const goldNumbers = numbersOfCanonical(g).map((n) => n.value);
  const negation = negationAgrees(answer, gold);
  if (normalizeAnswer(a) === normalizeAnswer(g)) {
    if (!sameNumbers(answerNumbers, goldNumbers, options.tolerance)) return fail("mismatch", `numbers ${answerNumbers.join(", ")} differ from the gold's ${goldNumbers.join(", ")}`, 0);
    if (negation) return pass("exact-match", "normalised answers are equal", 1);
  }
  if (!negation) return fail("mismatch", `one answer is negated and the other is not (answer ${excerpt(answer)}, gold ${excerpt(gold)})`, 0);
  const x = singleNumber(a);
  const y = singleNumber(g);
  if (x && y && unitsAgree(x.unit, y.unit)) {
    if (closeEnough(x.value, y.value, options.tolerance)) return pass("numeric", `${x.value} equals gold ${y.value} within ${options.tolerance}`, 1);
    return fail("mismatch", `number ${x.value} differs from gold ${y.value}`, 0);
  }
  const f1 = tokenF1(a, g);
  // a number the answer gives must be the gold's ("413 copies" is not "412 copies"); an answer that gives
  // none is left to F1 ("Kansas Jayhawks" for "The 2008 Kansas Jayhawks")
  const missing = answerNumbers.length === 0 ? [] : goldNumbers.filter((n) => !answerNumbers.some((m) => closeEnough(m, n, options.tolerance)));
  const shown = f1.toFixed(2);
  if (f1 >= options.f1Threshold && missing.length === 0) return pass("f1", `token F1 ${shown} ≥ ${options.f1Threshold}`, f1);
  const why = missing.length > 0 && f1 >= options.f1Threshold ? `gold number ${missing[0]} is not in the answer` : `token F1 ${shown} < ${options.f1Threshold}`;
  return fail("mismatch", `${why} (answer ${excerpt(answer)}, gold ${excerpt(gold)})`, f1);
}

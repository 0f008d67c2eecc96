import { RowReader } from "./rows.js";
import type { EvalKind, Grade } from "./types.js";

/** One GraphWalks row in its official columns, plus an id. */
export interface GraphwalksItem {
  id: string;
  prompt: string;
  answer_nodes: string[];
  prompt_chars: number;
  problem_type: string;
  date_added?: string;
}

/**
 * How the last line's `Final Answer: [...]` becomes a list:
 * - "brackets" (default): the text between the brackets, as lm-eval and openbench read it;
 * - "card-literal": the card's code verbatim, `group(0).strip("[]")`, which keeps "Final Answer: [" glued
 *   to the first node (a perfect two-node answer scores 0.5; `[]` parses as ["Final Answer:"]).
 */
export type ParseMode = "brackets" | "card-literal";
export const PARSE_MODES: readonly ParseMode[] = ["brackets", "card-literal"];

/**
 * What an empty gold set scores:
 * - "zero" (default, the card's code): recall is 0 when there is no gold, so every answer scores 0;
 * - "both-empty-one" (Anthropic's fix): an empty answer to an empty gold scores 1, the rest as "zero".
 */
export type EmptyGoldMode = "zero" | "both-empty-one";
export const EMPTY_GOLD_MODES: readonly EmptyGoldMode[] = ["zero", "both-empty-one"];

export interface GraphwalksOptions {
  parse?: ParseMode;
  emptyGold?: EmptyGoldMode;
}

export interface GraphwalksGrade {
  f1: number;
  precision: number;
  recall: number;
  /** The parsed node list, or null when the last line has no `Final Answer: [...]` (scores 0). */
  parsed: string[] | null;
}

const FINAL_ANSWER = /Final Answer: ?\[(.*)\]/s;

/**
 * The card's `get_list`: only the last line counts (`split("\n")[-1]`, nothing stripped first, so a
 * trailing newline is a parse failure); "Final Answer:" is case-sensitive; the regex is greedy up to the
 * line's last `]`; items are split on "," and stripped with Python's whitespace rules, empty ones dropped.
 */
export function parseFinalAnswer(response: string, mode: ParseMode = "brackets"): string[] | null {
  const line = response.slice(response.lastIndexOf("\n") + 1);
  if (!line.includes("Final Answer:")) return null;
  const match = FINAL_ANSWER.exec(line);
  if (match === null) return null;
  const inside = mode === "card-literal" ? stripChars(match[0], "[]") : (match[1] as string);
  return inside
    .split(",")
    .map((item) => stripChars(item, PYTHON_WHITESPACE))
    .filter((item) => item !== "");
}

/** Set precision, recall and F1 of the parsed answer against the gold nodes, exactly as the card computes them. */
export function gradeGraphwalks(response: string, gold: readonly string[], options: GraphwalksOptions = {}): GraphwalksGrade {
  const parsed = parseFinalAnswer(response, options.parse ?? "brackets");
  if (parsed === null) return { f1: 0, precision: 0, recall: 0, parsed };
  const sampled = new Set(parsed);
  const truth = new Set(gold);
  if ((options.emptyGold ?? "zero") === "both-empty-one" && truth.size === 0 && sampled.size === 0) {
    return { f1: 1, precision: 1, recall: 1, parsed };
  }
  let overlap = 0;
  for (const node of sampled) if (truth.has(node)) overlap++;
  const recall = truth.size > 0 ? overlap / truth.size : 0;
  const precision = sampled.size > 0 ? overlap / sampled.size : 0;
  const f1 = recall + precision > 0 ? (2 * recall * precision) / (recall + precision) : 0;
  return { f1, precision, recall, parsed };
}

/** The characters Python's str.strip() removes (str.isspace()); JS trim() differs (it strips U+FEFF, keeps U+001C–U+001F and U+0085). */
export const PYTHON_WHITESPACE =
  "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

/** Python's `s.strip(chars)` for BMP `chars`. */
export function stripChars(text: string, chars: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && chars.includes(text[start] as string)) start++;
  while (end > start && chars.includes(text[end - 1] as string)) end--;
  return text.slice(start, end);
}

export function graphwalksEval(options: GraphwalksOptions = {}): EvalKind<GraphwalksItem> {
  const parse = options.parse ?? "brackets";
  const emptyGold = options.emptyGold ?? "zero";
  return {
    name: "graphwalks",
    columns: { required: ["prompt", "answer_nodes", "prompt_chars", "problem_type"], optional: ["date_added"] },
    fromRow(file, { row, where, id }) {
      const read = new RowReader(file, where, row);
      const item: GraphwalksItem = {
        id,
        prompt: read.string("prompt"),
        answer_nodes: read.stringList("answer_nodes"),
        prompt_chars: read.integer("prompt_chars"),
        problem_type: read.string("problem_type"),
      };
      const dateAdded = read.optionalString("date_added");
      if (dateAdded !== undefined) item.date_added = dateAdded;
      return item;
    },
    toRow: (item) => ({ ...item }),
    messages: (item) => [{ role: "user", content: item.prompt }],
    group: (item) => item.problem_type,
    contextTexts: (item) => [item.prompt],
    grade(item, response): Grade {
      const { f1, precision, recall, parsed } = gradeGraphwalks(response, item.answer_nodes, { parse, emptyGold });
      return { score: f1, detail: { precision, recall, parsed } };
    },
    settings: { parse, empty_gold: emptyGold },
  };
}

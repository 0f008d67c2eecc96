import type { ChatMessage } from "../llm/types.js";
import { sequenceMatcherRatio } from "./difflib.js";
import { RowReader } from "./rows.js";
import type { EvalKind, Grade } from "./types.js";

export interface MrcrMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** One MRCR row in its official columns (the prompt already parsed into messages), plus an id. */
export interface MrcrItem {
  id: string;
  messages: MrcrMessage[];
  answer: string;
  random_string_to_prepend: string;
  n_needles: number;
  desired_msg_index: number;
  total_messages: number;
  n_chars: number;
  date_added?: string;
}

export interface MrcrGrade {
  ratio: number;
  /** False when the response does not start with the random string (score 0). */
  prefix_ok: boolean;
}

/**
 * The card's grader: a response that does not start with the random string (case-sensitive, nothing
 * stripped, so a leading space or a <think> block scores 0) scores 0; otherwise the prefix is removed
 * once from both and the score is `SequenceMatcher(None, response, answer).ratio()`.
 */
export function gradeMrcr(response: string, answer: string, prefix: string): MrcrGrade {
  if (!response.startsWith(prefix)) return { ratio: 0, prefix_ok: false };
  const gold = answer.startsWith(prefix) ? answer.slice(prefix.length) : answer;
  return { ratio: sequenceMatcherRatio(response.slice(prefix.length), gold), prefix_ok: true };
}

const ROLES = new Set(["system", "user", "assistant"]);

export function mrcrEval(): EvalKind<MrcrItem> {
  return {
    name: "mrcr",
    columns: {
      required: ["prompt", "answer", "random_string_to_prepend", "n_needles", "desired_msg_index", "total_messages", "n_chars"],
      optional: ["date_added"],
    },
    fromRow(file, { row, where, id }) {
      const read = new RowReader(file, where, row);
      const item: MrcrItem = {
        id,
        messages: parseMessages(read, read.string("prompt")),
        answer: read.string("answer"),
        random_string_to_prepend: read.string("random_string_to_prepend"),
        n_needles: read.integer("n_needles"),
        desired_msg_index: read.integer("desired_msg_index"),
        total_messages: read.integer("total_messages"),
        n_chars: read.integer("n_chars"),
      };
      const dateAdded = read.optionalString("date_added");
      if (dateAdded !== undefined) item.date_added = dateAdded;
      return item;
    },
    toRow: ({ id, messages, ...columns }) => ({ id, prompt: JSON.stringify(messages), ...columns }),
    messages: (item) => item.messages as ChatMessage[],
    group: (item) => `${item.n_needles} needles`,
    contextTexts: (item) => [...item.messages.map((message) => message.content), item.answer],
    grade(item, response): Grade {
      const { ratio, prefix_ok } = gradeMrcr(response, item.answer, item.random_string_to_prepend);
      return { score: ratio, detail: { prefix_ok } };
    },
    settings: {},
  };
}

function parseMessages(read: RowReader, prompt: string): MrcrMessage[] {
  let messages: unknown;
  try {
    messages = JSON.parse(prompt);
  } catch (error) {
    read.fail(`column prompt must hold a JSON list of chat messages: ${(error as Error).message}`);
  }
  if (!Array.isArray(messages) || messages.length === 0) read.fail("column prompt must hold a non-empty JSON list of chat messages");
  return messages.map((message: unknown, i) => {
    const { role, content } = (message ?? {}) as Record<string, unknown>;
    if (typeof role !== "string" || !ROLES.has(role) || typeof content !== "string") {
      read.fail(`column prompt: message ${i} must be {role: user|assistant|system, content: string}`);
    }
    return { role, content } as MrcrMessage;
  });
}

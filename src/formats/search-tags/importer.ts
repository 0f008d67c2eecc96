import type { Final, Locator, Task } from "../../records/trajectory.js";
import { expect, kindOf, rowsImporter } from "../common/rows.js";
import { contentToText, isRecord, without } from "../common/text.js";
import { lastAnswerTag, lastBoxed } from "./answer.js";
import { rowGroundTruth } from "./truth.js";
import { hasToolTags, STREAM_MARKUP } from "./stream.js";
import { type RawTurn, turnsToMessages } from "./turns.js";
import type { DraftMessage, TrajectoryDraft } from "../types.js";

/**
 * Tag-style search agents, one row per rollout, in either shape:
 * - messages: `{messages: [{role, content}], question?, answer?, prediction?, termination?}` (Tongyi DeepResearch);
 * - stream: `{prompt | input, response | output, question?, golden_answers? …, reward | score?}` (Search-R1,
 *   Search-o1 / WebThinker, flattened RL rollouts; a ChatML-rendered prompt/response is split into its turns).
 */
export const searchTagsImporter = rowsImporter({
  format: "search-tags",
  description: "Tag-style search agents: Search-R1 <search>/<information>, Tongyi <tool_call>/<tool_response>, Search-o1 markers",
  dropRules: [
    { path: "/**", reason: "structure", note: "search, result, think and answer tags and chat-template markers, parsed into messages and calls", markup: STREAM_MARKUP },
  ],
  detectRow(row) {
    if (Array.isArray(row.messages)) return row.messages.some(usesTags) ? 0.8 : 0;
    const stream = streamOf(row)?.value;
    if (typeof stream !== "string") return 0;
    if (hasToolTags(stream)) return 0.8;
    return /<answer>[\s\S]*<\/answer>/.test(stream) ? 0.5 : 0;
  },
  convertRow(row, locator) {
    return convertRow(row, locator);
  },
});

const RESULT_START = /^\s*(?:<tool_response>|<information>|<\|begin_search_result\|>|<\|begin_click_result\|>)/;

/** An assistant message with call tags, or a user message that opens with a result tag. */
function usesTags(message: unknown): boolean {
  if (!isRecord(message)) return false;
  const text = contentToText(message.content);
  if (message.role === "assistant") return hasToolTags(text);
  return message.role === "user" && RESULT_START.test(text);
}

const STREAM_KEYS = ["response", "output", "Output"] as const;
const PROMPT_KEYS = ["prompt", "input"] as const;
const QUESTION_KEYS = ["question", "Question"] as const;

function streamOf(row: Record<string, unknown>): { key: string; value: unknown } | undefined {
  const key = STREAM_KEYS.find((k) => row[k] !== undefined);
  return key === undefined ? undefined : { key, value: row[key] };
}

function convertRow(row: Record<string, unknown>, locator: Locator): TrajectoryDraft {
  const used: string[] = [];
  const turns = rowTurns(row, used);
  const { messages, warnings, dialect } = turnsToMessages(turns);
  const question = rowQuestion(row, turns, used);
  const truth = rowGroundTruth(row, used);
  const final = finalOf(messages, row, used);
  const reward = rewardOf(row, used);
  const termination = row.termination;
  expect(termination === undefined || termination === null || typeof termination === "string", `termination: expected a string, got ${kindOf(termination)}`);
  if (typeof termination === "string") used.push("termination");
  const task: Partial<Task> = { ...question, ...(truth !== undefined ? { ground_truth: truth } : {}) };
  return {
    locator,
    ...(dialect !== undefined ? { format_version: dialect } : {}),
    task,
    messages,
    ...(final ? { final } : {}),
    outcome: {
      ...(reward !== undefined ? { reward: reward.value, success: reward.value >= 1, label_source: `search_tags.${reward.key}` } : {}),
      ...(typeof termination === "string" ? { exit_status: termination } : {}),
    },
    ...(warnings.length > 0 ? { warnings } : {}),
    extra: without(row, used),
  };
}

/** The row's turns: its messages, or its prompt followed by its response stream. */
function rowTurns(row: Record<string, unknown>, used: string[]): RawTurn[] {
  if (row.messages !== undefined) {
    expect(Array.isArray(row.messages), `messages: expected an array, got ${kindOf(row.messages)}`);
    used.push("messages");
    return messageTurns(row.messages, "messages");
  }
  const stream = streamOf(row);
  expect(stream !== undefined, `expected a messages array or a ${STREAM_KEYS.join(" / ")} string`);
  expect(typeof stream.value === "string", `${stream.key}: expected a string, got ${kindOf(stream.value)}`);
  used.push(stream.key);
  const promptKey = PROMPT_KEYS.find((k) => row[k] !== undefined);
  const prompt = promptKey === undefined ? undefined : row[promptKey];
  if (promptKey !== undefined) used.push(promptKey);
  if (typeof prompt === "string" || prompt === undefined) {
    const text = (prompt ?? "") + stream.value;
    if (text.includes(CHATML_START)) return chatmlTurns(text);
    return [...(prompt ? [{ role: "user" as const, text: prompt }] : []), { role: "assistant", text: stream.value }];
  }
  expect(Array.isArray(prompt), `${promptKey}: expected a string or an array of messages, got ${kindOf(prompt)}`);
  const response = stream.value.includes(CHATML_START) ? chatmlTurns(stream.value) : [{ role: "assistant" as const, text: stream.value }];
  return [...messageTurns(prompt, promptKey!), ...response];
}

const ROLES: Record<string, RawTurn["role"]> = { system: "system", developer: "system", user: "user", assistant: "assistant", tool: "tool", function: "tool" };

function messageTurns(messages: unknown[], path: string): RawTurn[] {
  return messages.map((raw, i) => {
    const at = `${path}[${i}]`;
    expect(isRecord(raw), `${at}: expected a message object, got ${kindOf(raw)}`);
    const role = typeof raw.role === "string" ? ROLES[raw.role] : undefined;
    expect(role !== undefined, `${at}.role: expected system, user, assistant or tool, got ${JSON.stringify(raw.role)}`);
    const content = raw.content;
    expect(
      content === null || content === undefined || typeof content === "string" || Array.isArray(content),
      `${at}.content: expected a string or an array of parts, got ${kindOf(content)}`,
    );
    const extra = without(raw, ["role", "content"]);
    return {
      role,
      text: contentToText(content),
      ...(role !== raw.role ? { source_role: raw.role as string } : {}),
      ...(Object.keys(extra).length > 0 ? { extra } : {}),
    };
  });
}

const CHATML_START = "<|im_start|>";
const TURN_END = /(?:<\|im_end\|>|<\|endoftext\|>)\s*$/;

/**
 * A ChatML-rendered conversation (`<|im_start|>role\n…<|im_end|>`). Text before the first turn marker continues
 * the assistant turn the prompt opened; end-of-turn tokens are dropped.
 */
function chatmlTurns(text: string): RawTurn[] {
  const [lead, ...pieces] = text.split(CHATML_START);
  const turns: RawTurn[] = lead!.trim() === "" ? [] : [{ role: "assistant", text: lead! }];
  for (const piece of pieces) {
    const newline = piece.indexOf("\n");
    const header = (newline === -1 ? piece : piece.slice(0, newline)).trim();
    let body = newline === -1 ? "" : piece.slice(newline + 1);
    while (TURN_END.test(body)) body = body.replace(TURN_END, "");
    const role = ROLES[header] ?? "user";
    turns.push({ role, text: body, ...(role !== header ? { source_role: header } : {}) });
  }
  return turns.filter((turn) => turn.role !== "assistant" || turn.text.trim() !== "");
}

/** Search-R1's prompt template ends `Question: <question>`. */
const TEMPLATE_QUESTION = /Question:\s*([\s\S]+?)\s*$/;

function rowQuestion(row: Record<string, unknown>, turns: RawTurn[], used: string[]): Partial<Task> {
  const key = QUESTION_KEYS.find((k) => row[k] !== undefined);
  if (key !== undefined) {
    expect(typeof row[key] === "string", `${key}: expected a string, got ${kindOf(row[key])}`);
    used.push(key);
    return { question: row[key] as string, question_origin: "dataset_field" };
  }
  const prompt = turns.find((t) => t.role === "user")?.text ?? "";
  const at = prompt.lastIndexOf("Question:");
  const match = at === -1 ? null : TEMPLATE_QUESTION.exec(prompt.slice(at));
  return match ? { question: match[1]!, question_origin: "extracted_from_template" } : {};
}

/**
 * The last `<answer>` of the assistant turns (after their reasoning was taken out), else the last `\boxed{}` of
 * the final assistant turn, else the row's `prediction` (Tongyi's extracted answer).
 */
function finalOf(messages: DraftMessage[], row: Record<string, unknown>, used: string[]): Partial<Final> | undefined {
  const assistants = messages.filter((m): m is Extract<DraftMessage, { role: "assistant" }> => m.role === "assistant");
  const prediction = row.prediction;
  expect(prediction === undefined || prediction === null || typeof prediction === "string", `prediction: expected a string, got ${kindOf(prediction)}`);
  let final: Partial<Final> | undefined;
  for (let i = assistants.length - 1; i >= 0 && final === undefined; i--) {
    const answer = lastAnswerTag(assistants[i]!.content ?? "");
    if (answer !== undefined) final = { answer, reasoning: assistants[i]!.reasoning, kind: "answer_tag" };
  }
  const last = assistants.at(-1);
  if (final === undefined && last !== undefined) {
    const boxed = lastBoxed(last.content ?? "") ?? lastBoxed(last.reasoning ?? "");
    if (boxed !== undefined) final = { answer: boxed, reasoning: last.reasoning, kind: "boxed" };
  }
  if (final === undefined && typeof prediction === "string") final = { answer: prediction, reasoning: null, kind: "dataset_field" };
  if (typeof prediction === "string" && final?.answer === prediction.trim()) used.push("prediction");
  return final;
}

function rewardOf(row: Record<string, unknown>, used: string[]): { key: string; value: number } | undefined {
  const key = (["reward", "score"] as const).find((k) => row[k] !== undefined && row[k] !== null);
  if (key === undefined) return undefined;
  expect(typeof row[key] === "number", `${key}: expected a number, got ${kindOf(row[key])}`);
  used.push(key);
  return { key, value: row[key] as number };
}

import type { Final, Locator } from "../../records/trajectory.js";
import { splitReasoning, THINK_MARKUP } from "../common/openai-messages.js";
import { expect, kindOf, rowsImporter, ShapeError } from "../common/rows.js";
import { contentToText, isRecord, without } from "../common/text.js";
import { splitMcpToolBlocks } from "./blocks.js";
import type { DraftMessage, TrajectoryDraft } from "../types.js";

/** MiroFlow `task_result.json`: {message_history, summary, final_boxed_answer}, tools called with `<use_mcp_tool>` blocks. */
export const miroflowImporter = rowsImporter({
  format: "miroflow",
  description: "MiroFlow task results: message_history with <use_mcp_tool> blocks, summary, final_boxed_answer",
  dropRules: [
    THINK_MARKUP,
    {
      path: "/message_history/**",
      reason: "structure",
      note: "<use_mcp_tool> markup, parsed into the tool call (server/tool name and arguments)",
      markup: /<\/?(?:use_mcp_tool|server_name|tool_name|arguments)>/,
    },
  ],
  detectRow(row) {
    if (!Array.isArray(row.message_history)) return 0;
    if ("final_boxed_answer" in row || "summary" in row) return 0.9;
    const usesMcp = row.message_history.some((m) => isRecord(m) && m.role === "assistant" && contentToText(m.content).includes("<use_mcp_tool>"));
    return usesMcp ? 0.9 : 0;
  },
  convertRow(row, locator) {
    return convertTaskResult(row, locator);
  },
});

/** The guidance MiroFlow's orchestrator appends to the task description in the first user message. */
const TASK_GUIDANCE = "\n\nYour task is to comprehensively address the question";
/** What MiroFlow stores as the answer when the summary had no `\boxed{}`. */
const NO_BOXED = "No \\boxed{} content found";
const TOOL_FAILED = /^Tool call to \S+ on \S+ failed\. Error: /;

function convertTaskResult(row: Record<string, unknown>, locator: Locator): TrajectoryDraft {
  expect(Array.isArray(row.message_history), `message_history: expected an array, got ${kindOf(row.message_history)}`);
  expect(row.summary === undefined || row.summary === null || typeof row.summary === "string", `summary: expected a string, got ${kindOf(row.summary)}`);
  const boxed = row.final_boxed_answer;
  expect(boxed === undefined || boxed === null || typeof boxed === "string", `final_boxed_answer: expected a string, got ${kindOf(boxed)}`);
  const messages = convertHistory(row.message_history);
  const firstUser = messages.find((m) => m.role === "user")?.content;
  const cut = firstUser?.indexOf(TASK_GUIDANCE) ?? -1;
  const noAnswer = typeof boxed === "string" && boxed.startsWith(NO_BOXED);
  const final: Partial<Final> =
    typeof boxed === "string" && boxed !== "" && !noAnswer
      ? { answer: boxed, reasoning: row.summary ?? null, kind: "boxed" }
      : typeof row.summary === "string"
        ? { answer: null, reasoning: row.summary, kind: "none" }
        : {};
  return {
    locator,
    task: cut > 0 ? { question: firstUser!.slice(0, cut).trim(), question_origin: "extracted_from_template" } : {},
    messages,
    final,
    ...(noAnswer ? { warnings: [{ code: "no-final-answer", message: `final_boxed_answer says "${boxed}": no final answer`, field: "final_boxed_answer" }] } : {}),
    extra: without(row, ["message_history", "summary", ...(noAnswer ? [] : ["final_boxed_answer"])]),
  };
}

/**
 * Messages of the history. An assistant turn's `<use_mcp_tool>` blocks become text tool calls; the text around them
 * is the assistant's content (MiroFlow has the model write its analysis visibly before each call, and it stays in
 * the context of later turns), a leading `<think>` block its reasoning. The user turn after a turn with calls holds
 * their results (one text part per call when the counts match) and becomes `role: "tool"`.
 */
function convertHistory(history: unknown[]): DraftMessage[] {
  const messages: DraftMessage[] = [];
  let open = 0;
  history.forEach((raw, i) => {
    const path = `message_history[${i}]`;
    expect(isRecord(raw), `${path}: expected a message object, got ${kindOf(raw)}`);
    const content = raw.content;
    expect(
      typeof content === "string" || Array.isArray(content) || content === null || content === undefined,
      `${path}.content: expected a string or an array of parts, got ${kindOf(content)}`,
    );
    const extra = without(raw, ["role", "content"]);
    const carried = Object.keys(extra).length > 0 ? { extra } : {};
    const text = contentToText(content);
    switch (raw.role) {
      case "system":
        messages.push({ role: "system", content: text, ...carried });
        break;
      case "assistant": {
        const { text: rest, calls } = splitMcpToolBlocks(text);
        const split = splitReasoning(raw, rest);
        const trimmed = split.content.trim();
        const kept = { ...without(extra, split.keys), ...split.extra };
        messages.push({
          role: "assistant",
          content: trimmed === "" && calls.length > 0 ? null : trimmed,
          reasoning: split.reasoning,
          tool_calls: calls,
          ...(Object.keys(kept).length > 0 ? { extra: kept } : {}),
        });
        open = calls.length;
        return;
      }
      case "user": {
        if (open === 0) {
          messages.push({ role: "user", content: text, ...carried });
          break;
        }
        const parts = Array.isArray(content) && content.length === open && open > 1 ? content.map(contentToText) : [text];
        for (const part of parts) {
          messages.push({ role: "tool", call_id: null, name: null, content: part, is_error: TOOL_FAILED.test(part), source_role: "user", ...carried });
        }
        break;
      }
      default:
        throw new ShapeError(`${path}.role: expected system, user or assistant, got ${JSON.stringify(raw.role)}`);
    }
    open = 0;
  });
  return messages;
}

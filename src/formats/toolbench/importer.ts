import type { ImportWarning } from "../../records/import-warning.js";
import type { Final, Locator } from "../../records/trajectory.js";
import { convertOpenAIMessages, THINK_MARKUP } from "../common/openai-messages.js";
import { expect, kindOf, rowsImporter } from "../common/rows.js";
import { isRecord, without } from "../common/text.js";
import { toolDefinitions } from "../openai-chat.js";
import { longestTrainMessages } from "./prefixes.js";
import type { DraftMessage, TrajectoryDraft } from "../types.js";

/**
 * ToolBench answers (DFS and CoT): {win, tree?, forward_args, compare_candidates, answer_generation{train_messages,
 * function, query, final_answer, finish_type, …}}. `train_messages` lists one growing prefix per decision step;
 * the longest is the trajectory.
 */
export const toolbenchImporter = rowsImporter({
  format: "toolbench",
  description: "ToolBench DFS/CoT answers: answer_generation.train_messages (longest prefix kept), Finish call, win",
  dropRules: [THINK_MARKUP],
  detectRow(row) {
    const generation = row.answer_generation;
    return isRecord(generation) && Array.isArray(generation.train_messages) ? 0.9 : 0;
  },
  convertRow(row, locator) {
    return convertAnswer(row, locator);
  },
});

function convertAnswer(row: Record<string, unknown>, locator: Locator): TrajectoryDraft {
  const generation = row.answer_generation;
  expect(isRecord(generation), `answer_generation: expected an object, got ${kindOf(generation)}`);
  expect(row.win === undefined || typeof row.win === "boolean", `win: expected a boolean, got ${kindOf(row.win)}`);
  expect(generation.query === undefined || typeof generation.query === "string", `answer_generation.query: expected a string, got ${kindOf(generation.query)}`);
  const { longest, index, divergent } = longestTrainMessages(generation.train_messages, "answer_generation.train_messages");
  const messages = convertOpenAIMessages(longest, `answer_generation.train_messages[${index}]`).map(withObservationError);
  const finish = finishCall(messages);
  const tools = toolDefinitions(generation.function);
  const finishType = typeof generation.finish_type === "string" ? generation.finish_type : undefined;

  return {
    locator,
    task: typeof generation.query === "string" ? { question: generation.query, question_origin: "dataset_field" } : {},
    ...(tools ? { tools } : {}),
    messages,
    ...(finish ? { final: finish.final } : {}),
    outcome: {
      ...(typeof row.win === "boolean" ? { success: row.win, label_source: "toolbench.win" } : {}),
      ...((finish?.returnType ?? finishType) !== undefined ? { exit_status: finish?.returnType ?? finishType } : {}),
    },
    ...(divergent.length > 0
      ? {
          warnings: divergent.map((d): ImportWarning => ({
            code: "divergent-copy",
            message: `train_messages[${d.index}] has ${d.messages.length} message(s) the longest sample lacks; kept under extra.divergent_train_messages`,
            count: d.messages.length,
            field: `train_messages[${d.index}]`,
          })),
        }
      : {}),
    extra: {
      ...without(row, ["answer_generation", "win"]),
      answer_generation: without(generation, ["train_messages", "function", "query"]),
      ...(divergent.length > 0 ? { divergent_train_messages: divergent } : {}),
    },
  };
}

/** ToolBench observations are `{"error": "...", "response": "..."}`; a non-empty error marks a failed call. */
function withObservationError(message: DraftMessage): DraftMessage {
  if (message.role !== "tool") return message;
  try {
    const parsed: unknown = JSON.parse(message.content);
    return isRecord(parsed) && typeof parsed.error === "string" && parsed.error !== "" ? { ...message, is_error: true } : message;
  } catch {
    return message;
  }
}

/** `Finish({return_type: "give_answer" | "give_up_and_restart", final_answer})` ends a ToolBench chain. */
function finishCall(messages: DraftMessage[]): { final: Partial<Final>; returnType: string | undefined } | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role !== "assistant") continue;
    const call = message.tool_calls.find((c) => c.name === "Finish");
    if (call === undefined) continue;
    const args = isRecord(call.arguments) ? call.arguments : {};
    const answer = typeof args.final_answer === "string" ? args.final_answer : null;
    return {
      final: { answer, reasoning: message.content, kind: answer === null ? "none" : "submit_call" },
      returnType: typeof args.return_type === "string" ? args.return_type : undefined,
    };
  }
  return undefined;
}

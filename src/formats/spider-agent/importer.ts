import type { Locator, Task } from "../../records/trajectory.js";
import { convertOpenAIMessages, THINK_MARKUP } from "../common/openai-messages.js";
import { expect, kindOf, rowsImporter, ShapeError } from "../common/rows.js";
import { isRecord, without } from "../common/text.js";
import { convertLiteResult, isLiteResult } from "./lite.js";
import type { DraftMessage, TrajectoryDraft } from "../types.js";

/**
 * Spider 2.0 agents. Spider-Agent-TC results `[{instance_id, rollout_idx, conversation, final_messages, terminated}]`
 * and Spider-Agent-lite/snow `spider/result.json` `{finished, steps, result, Task, system_message, trajectory}`.
 */
export const spiderAgentImporter = rowsImporter({
  format: "spider-agent",
  description: "Spider 2.0 agents: Spider-Agent-TC results (conversation, terminate(answer=SQL)) and Spider-Agent-lite/snow result.json",
  dropRules: [
    THINK_MARKUP,
    {
      path: "/final_messages/**",
      reason: "duplicate",
      note: "the conversation as the model saw it (calls as XML in the text); kept once, as `conversation`",
    },
  ],
  detectRow(row) {
    if (isTcResult(row)) return 0.9;
    return isLiteResult(row) ? 0.9 : 0;
  },
  convertRow(row, locator) {
    return isLiteResult(row) ? convertLiteResult(row, locator) : convertTcResult(row, locator);
  },
});

function isTcResult(row: Record<string, unknown>): boolean {
  return "instance_id" in row && typeof row.terminated === "boolean" && ("conversation" in row || "final_messages" in row || "error" in row);
}

const RESULT_PREFIX = /^EXECUTION RESULT of \[([^\]\n]+)\]:/;
const QUESTION = /^Question: ([\s\S]*?)\nExternal Knowledge:/;
const DATABASE_NAME = /\bthe database name is ([^\s,]+)/;
const SQL_TOOL = /^execute_(\w+)_sql$/;

function convertTcResult(row: Record<string, unknown>, locator: Locator): TrajectoryDraft {
  if (row.conversation === undefined && typeof row.error === "string") {
    const round = typeof row.round_failed === "number" ? ` in round ${row.round_failed}` : "";
    throw new ShapeError(`the run failed${round} and left no conversation: ${row.error}`);
  }
  expect(Array.isArray(row.conversation), `conversation: expected an array of messages, got ${kindOf(row.conversation)}`);
  expect(typeof row.terminated === "boolean", `terminated: expected a boolean, got ${kindOf(row.terminated)}`);
  const messages = convertOpenAIMessages(row.conversation, "conversation").map(withToolName);
  const submitted = terminateAnswer(messages);
  const duplicate = isRenderingOf(row.final_messages, row.conversation);
  return {
    locator,
    format_version: "tc",
    task: tcTask(row, messages),
    messages,
    ...(submitted ? { final: { answer: submitted.answer, reasoning: submitted.reasoning, kind: "sql" as const } } : {}),
    outcome: {
      ...(submitted ? { submitted_sql: submitted.answer } : {}),
      exit_status: row.terminated ? "terminated" : "max_rounds",
    },
    ...(duplicate || row.final_messages === undefined
      ? {}
      : { warnings: [{ code: "divergent-copy", message: "final_messages does not mirror conversation turn by turn; kept under extra", field: "final_messages" }] }),
    extra: without(row, ["conversation", ...(duplicate ? ["final_messages"] : []), ...(hasInstanceId(row) ? ["instance_id"] : [])]),
  };
}

function hasInstanceId(row: Record<string, unknown>): boolean {
  return typeof row.instance_id === "string" || typeof row.instance_id === "number";
}

/** Tool turns start `EXECUTION RESULT of [tool]:`; the framework's error path stores the Python repr of an error dict. */
function withToolName(message: DraftMessage): DraftMessage {
  if (message.role !== "tool") return message;
  const name = RESULT_PREFIX.exec(message.content)?.[1];
  return { ...message, ...(name !== undefined ? { name } : {}), is_error: message.content.startsWith("{'error': ") };
}

function terminateAnswer(messages: DraftMessage[]): { answer: string; reasoning: string | null } | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role !== "assistant") continue;
    const call = message.tool_calls.find((c) => c.name === "terminate");
    if (call === undefined) continue;
    const answer = isRecord(call.arguments) ? call.arguments.answer : undefined;
    return typeof answer === "string" ? { answer, reasoning: message.content } : undefined;
  }
  return undefined;
}

/** The question and database name come from Spider-Agent-TC's user prompt template; the engine from its SQL tool. */
function tcTask(row: Record<string, unknown>, messages: DraftMessage[]): Partial<Task> {
  const prompt = messages.find((m) => m.role === "user")?.content ?? "";
  const question = QUESTION.exec(prompt)?.[1];
  const dbId = typeof row.db_id === "string" ? row.db_id : DATABASE_NAME.exec(prompt)?.[1];
  const engine = messages
    .flatMap((m) => (m.role === "assistant" ? m.tool_calls : []))
    .map((call) => SQL_TOOL.exec(call.name)?.[1])
    .find((e) => e !== undefined);
  return {
    ...(hasInstanceId(row) ? { instance_id: String(row.instance_id) } : {}),
    ...(question !== undefined ? { question: question.trim(), question_origin: "extracted_from_template" as const } : {}),
    ...(dbId !== undefined ? { database: { db_id: dbId, ...(engine !== undefined ? { engine } : {}) } } : {}),
  };
}

/**
 * `final_messages` is the text the model saw: the same turns with tool calls as XML in the assistant text and
 * tool results as user turns. When it mirrors `conversation` turn by turn it is the same content stored twice.
 */
function isRenderingOf(rendered: unknown, conversation: unknown[]): boolean {
  if (!Array.isArray(rendered) || rendered.length !== conversation.length) return false;
  return rendered.every((m, i) => {
    const original = conversation[i];
    if (!isRecord(m) || !isRecord(original)) return false;
    return m.role === original.role || (original.role === "tool" && m.role === "user");
  });
}

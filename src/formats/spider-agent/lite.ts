import type { Locator } from "../../records/trajectory.js";
import { expect, kindOf } from "../common/rows.js";
import { contentToText, isRecord, without } from "../common/text.js";
import { parseSpiderAction } from "./action.js";
import type { DraftMessage, TrajectoryDraft } from "../types.js";

/** Spider-Agent-lite/snow `spider/result.json`: a `trajectory` of steps plus `Task` and `system_message`. */
export function isLiteResult(row: Record<string, unknown>): boolean {
  return Array.isArray(row.trajectory) && ("Task" in row || "system_message" in row) && ("finished" in row || "result" in row);
}

const SQL_START = /^\s*(?:with|select)\b/i;

/**
 * Step i holds the observation the agent saw before acting, then its thought and action (`PromptAgent.get_trajectory`).
 * So observation i+1 is the result of action i; the first observation, and feedback after an action that did not
 * parse (`"None"`), are user turns. The last action's result was never logged.
 */
export function convertLiteResult(row: Record<string, unknown>, locator: Locator): TrajectoryDraft {
  const steps = row.trajectory as unknown[];
  expect(row.finished === undefined || typeof row.finished === "boolean", `finished: expected a boolean, got ${kindOf(row.finished)}`);
  expect(row.Task === undefined || typeof row.Task === "string", `Task: expected a string, got ${kindOf(row.Task)}`);
  expect(
    row.system_message === undefined || typeof row.system_message === "string",
    `system_message: expected a string, got ${kindOf(row.system_message)}`,
  );
  expect(row.result === undefined || row.result === null || typeof row.result === "string", `result: expected a string, got ${kindOf(row.result)}`);

  const messages: DraftMessage[] = [];
  if (typeof row.system_message === "string") messages.push({ role: "system", content: row.system_message });
  let previousWasCall = false;
  steps.forEach((raw, i) => {
    const path = `trajectory[${i}]`;
    expect(isRecord(raw), `${path}: expected a step object, got ${kindOf(raw)}`);
    expect(raw.action === undefined || raw.action === null || typeof raw.action === "string", `${path}.action: expected a string, got ${kindOf(raw.action)}`);
    expect(raw.thought === undefined || raw.thought === null || typeof raw.thought === "string", `${path}.thought: expected a string, got ${kindOf(raw.thought)}`);
    const observation = contentToText(raw.observation);
    messages.push(
      previousWasCall
        ? { role: "tool", call_id: null, name: null, content: observation, is_error: false }
        : { role: "user", content: observation },
    );
    const call = typeof raw.action === "string" ? parseSpiderAction(raw.action) : null;
    // `response` (the raw model output) stays with the step; an action that names no call is kept as logged.
    const extra = without(raw, ["observation", "thought", ...(call ? ["action"] : [])]);
    messages.push({
      role: "assistant",
      content: raw.thought ?? null,
      reasoning: null,
      tool_calls: call ? [call] : [],
      ...(Object.keys(extra).length > 0 ? { extra } : {}),
    });
    previousWasCall = call !== null;
  });

  const result = typeof row.result === "string" && row.result !== "" ? row.result : null;
  const finished = row.finished === true;
  return {
    locator,
    format_version: "lite",
    task: {
      ...(typeof row.Task === "string" ? { question: row.Task, question_origin: "dataset_field" as const } : {}),
      ...(typeof row.system_message === "string" ? { system_prompt: row.system_message } : {}),
    },
    messages,
    ...(result !== null ? { final: { answer: result, reasoning: lastThought(messages), kind: "submit_call" as const } } : {}),
    outcome: {
      ...(result !== null && SQL_START.test(result) ? { submitted_sql: result } : {}),
      exit_status: finished ? "finished" : "unfinished",
    },
    extra: without(row, ["trajectory", "Task", "system_message", "result"]),
  };
}

function lastThought(messages: DraftMessage[]): string | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role === "assistant") return m.content;
  }
  return null;
}

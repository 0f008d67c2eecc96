import { createHash } from "node:crypto";
import { AccError } from "../errors/acc-error.js";
import { isRecord } from "../json.js";
import { type ChatMessage, type ChatRequest, type LlmClient, LlmError } from "../llm/types.js";
import type { StageHandler } from "../queue/worker.js";
import type { ResultRecord } from "./results.js";

/** The request settings an eval job carries: the model and what each request asks; never the endpoint or key. */
export type EvalRequest = Pick<ChatRequest, "max_tokens" | "temperature">;

/** An answer as results.jsonl keeps it. */
export type EvalAnswer = Pick<ResultRecord, "response" | "finish_reason" | "usage" | "cached" | "attempts">;

/** What a worker hands back for an item: the answer, or the endpoint's refusal (a failure, asked again by the next run). */
export type EvalJobResult = { answer: EvalAnswer } | { error: string; code: string };

export function evalSettings(model: string, request: EvalRequest): Record<string, unknown> {
  return { model, request };
}

/**
 * An item's job key: its id and the messages sent, so that two data sets reusing an id (generated data with
 * another seed) never share an answer.
 */
export function evalJobKey(id: string, messages: readonly ChatMessage[]): string {
  return `${id}\n${createHash("sha256").update(JSON.stringify(messages)).digest("hex")}`;
}

/** A worker's eval: the messages of each job sent to this worker's endpoint. */
export function evalHandler(client: LlmClient, model: string, request: EvalRequest): StageHandler {
  return {
    stage: "eval",
    settings: evalSettings(model, request),
    process: async (record) => {
      // a job is input from the network: only chat messages are sent on
      const messages = jobMessages(record);
      try {
        const result = await client.chat({ model, messages, ...request });
        return { answer: { response: result.content ?? "", finish_reason: result.finish_reason, usage: result.usage, cached: result.cached, attempts: result.attempts } } satisfies EvalJobResult;
      } catch (error) {
        if (!(error instanceof LlmError)) throw error;
        return { error: error.message, code: error.code } satisfies EvalJobResult;
      }
    },
  };
}

function jobMessages(record: unknown): ChatMessage[] {
  const messages = isRecord(record) ? record.messages : undefined;
  const roles = new Set(["system", "user", "assistant"]);
  if (!Array.isArray(messages) || messages.length === 0 || !messages.every((m) => isRecord(m) && roles.has(m.role as string) && typeof m.content === "string" && Object.keys(m).length === 2)) {
    throw new AccError("the job's record is not an eval item's messages", { code: "invalid-job" });
  }
  return messages as ChatMessage[];
}

/** A worker's result, checked before it is graded and written. */
export function evalResultFromJob(value: unknown): EvalJobResult | { malformed: string } {
  if (isRecord(value) && typeof value.error === "string" && typeof value.code === "string") return { error: value.error, code: value.code };
  const answer = isRecord(value) ? value.answer : undefined;
  if (!isRecord(answer) || typeof answer.response !== "string") return { malformed: "the worker's result is malformed: no answer" };
  const { response, finish_reason, usage, cached, attempts } = answer;
  if (!(finish_reason === null || typeof finish_reason === "string") || !(usage === null || isRecord(usage)) || typeof cached !== "boolean" || !Number.isSafeInteger(attempts)) {
    return { malformed: "the worker's result is malformed: an answer's fields have the wrong types" };
  }
  return { answer: { response, finish_reason, usage: usage as ResultRecord["usage"], cached, attempts: attempts as number } };
}

import type { ChatMessage, LlmClient } from "../llm/types.js";
import { excerpt, fail, pass, type Verdict } from "./types.js";

export interface JudgeOptions {
  client: LlmClient;
  model: string;
  /** What makes an answer correct; DEFAULT_RUBRIC when absent. */
  rubric?: string;
  maxTokens?: number;
}

export interface JudgeQuestion {
  question: string;
  answer: string;
  gold: string;
}

export const DEFAULT_RUBRIC = [
  "You grade an answer to a question against the reference answer.",
  "The answer is correct when it states the same facts as the reference: the same entities, numbers (rounding that keeps the meaning is fine), dates and yes/no, possibly in other words, other units converted exactly, or with more detail that does not contradict the reference.",
  "It is incorrect when it contradicts the reference, leaves out part of what the reference states, hedges between several answers, or does not answer.",
].join("\n");

const FORMAT = "Explain briefly, then end with one line: `VERDICT: PASS` if the answer is correct, `VERDICT: FAIL` if it is not.";

/** The judge's prompt: the rubric and the answer format as the system message, the case as the user message. */
export function judgeMessages(item: JudgeQuestion, rubric = DEFAULT_RUBRIC): ChatMessage[] {
  return [
    { role: "system", content: `${rubric.trim()}\n\n${FORMAT}` },
    { role: "user", content: `Question:\n${item.question}\n\nReference answer:\n${item.gold}\n\nAnswer to grade:\n${item.answer}` },
  ];
}

/** The last `VERDICT: PASS|FAIL` line (also CORRECT / INCORRECT, markdown emphasis allowed), or a JSON {"verdict": …}. */
export function parseJudgeVerdict(text: string): "pass" | "fail" | undefined {
  const words = [...text.matchAll(/verdict\W{0,4}\s*(pass|fail|correct|incorrect)\b/gi)];
  const last = words.at(-1)?.[1]?.toLowerCase();
  if (last !== undefined) return last === "pass" || last === "correct" ? "pass" : "fail";
  const json = /\{[^{}]*"verdict"\s*:\s*"(\w+)"[^{}]*\}/i.exec(text)?.[1]?.toLowerCase();
  if (json === "pass" || json === "correct") return "pass";
  if (json === "fail" || json === "incorrect") return "fail";
  return undefined;
}

/**
 * Asks an LLM judge whether an answer matches the gold under the rubric, through the same client as
 * everything else (retries, cache). Temperature 0 and a fixed seed make a rerun read the same verdict
 * from the cache. Request failures are thrown (LlmError), not turned into verdicts.
 */
export async function verifyJudge(options: JudgeOptions, item: JudgeQuestion): Promise<Verdict> {
  const result = await options.client.chat({
    model: options.model,
    messages: judgeMessages(item, options.rubric),
    temperature: 0,
    seed: 0,
    ...(options.maxTokens !== undefined ? { max_tokens: options.maxTokens } : {}),
  });
  const text = result.content ?? "";
  const verdict = parseJudgeVerdict(text);
  if (verdict === undefined) return fail("judge-unparsable", `the judge gave no verdict line: ${excerpt(text, 120)}`);
  const reason = excerpt(text.replace(/verdict\W{0,4}\s*(pass|fail|correct|incorrect)\b[\s\S]*$/i, ""), 160);
  return verdict === "pass" ? pass("judge-pass", `the judge accepted it: ${reason}`) : fail("judge-fail", `the judge rejected it: ${reason}`);
}

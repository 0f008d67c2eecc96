import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SAMPLE_SCHEMA_VERSION, type Sample } from "../../src/records/sample.js";
import type { Domain } from "../../src/records/trajectory.js";
import type { RecordedRequest } from "../../src/testing/openai-server.js";

/** A valid compiled sample about item i: "What does item i cost?", gold `${3i} EUR`. */
export function itemSample(i: number, domain: Domain = "search", task: Partial<Sample["meta"]["task"]> = {}): Sample {
  const question = `What does item ${i} cost?`;
  const gold = `${3 * i} EUR`;
  return {
    schema: "acc.sample",
    schema_version: SAMPLE_SCHEMA_VERSION,
    id: `sample-${String(i).padStart(4, "0")}`,
    messages: [
      { role: "user", content: `Please answer from the documents.\n\n<document index="1" source="shop">\nItem ${i} costs ${gold}.\n</document>\n\nQuestion: ${question}` },
      { role: "assistant", content: `It costs ${gold}.`, reasoning: "The shop page lists it." },
    ],
    target: { answer: `It costs ${gold}.`, reasoning: "The shop page lists it.", answer_origin: "agent_final", reasoning_origin: "agent_final" },
    meta: {
      trajectory_id: `trajectory-${i}`,
      domain,
      seed: 0,
      tokenizer: "qwen3",
      target_tokens: 1000,
      prompt_tokens: 60,
      evidence_count: 1,
      context_count: 0,
      distractor_count: 0,
      pool_distractor_count: 0,
      question_position: "after",
      split_pieces: [],
      pieces: [],
      task: { question, ground_truth: gold, ...task },
    },
  };
}

export function writeSamples(dir: string, samples: Sample[], extraLines: string[] = []): string {
  const path = join(dir, "samples.jsonl");
  writeFileSync(path, [...samples.map((s) => JSON.stringify(s)), ...extraLines].map((line) => `${line}\n`).join(""));
  return path;
}

interface TeacherBody {
  seed: number;
  messages: { role: string; content: string }[];
}

/** The item number and seed a teacher request is about. */
export function itemOf(request: RecordedRequest): { item: number; seed: number } {
  const body = request.body as TeacherBody;
  const user = body.messages.at(-1)!.content;
  return { item: Number(/Question: What does item (\d+) cost\?/.exec(user)![1]), seed: body.seed };
}

/**
 * A simulated teacher, deterministic per request: right when the seed is even, a wrong number when it
 * is 1 mod 4, and no final answer (and no separate reasoning) when it is 3 mod 4.
 */
export function teacherReply(request: RecordedRequest): { type: "answer"; content: string; reasoning?: string } {
  const { item, seed } = itemOf(request);
  const reasoning = `Item ${item} is listed on the shop page.`;
  if (seed % 2 === 0) return { type: "answer", content: `Final answer: ${3 * item} EUR`, reasoning };
  if (seed % 4 === 1) return { type: "answer", content: `Final answer: ${3 * item + 1} EUR`, reasoning };
  return { type: "answer", content: "I am not sure." };
}

export const OUTPUTS = ["samples.jsonl", "rejects.jsonl", "outcomes.jsonl", "stats.json"];
export const readOutputs = (dir: string) => OUTPUTS.map((file) => readFileSync(join(dir, file), "utf8"));
export const jsonLines = <T>(text: string): T[] => text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as T);

import { type Command, Option } from "commander";
import type { LlmClient } from "../llm/types.js";
import type { TeachSetup } from "../teach/candidates.js";
import { UsageError } from "./io.js";
import { makeClient } from "./llm-client.js";
import { addOptions, type ClientFlags, maxTokensOption, positiveIntegerOption, secondsOption, seedOption, temperatureOption } from "./options.js";
import { isRecord } from "../json.js";

/** The flags of teacherOptions, as the action receives them. */
export interface TeacherFlags {
  model: string;
  candidates: number;
  keepAll?: boolean;
  temperature?: number;
  maxTokens?: number;
  seed: number;
  extraBody?: Record<string, unknown>;
  stream?: boolean;
  /** milliseconds */
  timeout: number;
}

/** The flags that shape what the teacher is asked (acc teach's and acc worker teach's). */
export function teacherOptions<C extends Command>(command: C): C {
  return addOptions(command, [
    new Option("--model <name>", "the teacher model").makeOptionMandatory(),
    positiveIntegerOption("--candidates <k>", "answers asked per sample at most (stops at the first verified one)", 4),
    new Option("--keep-all", "ask all k and keep every verified answer (ids <sample id>-c<k>)"),
    temperatureOption("sampling temperature (default: the server's)"),
    maxTokensOption("max_tokens of each request (default: the server's)"),
    seedOption("seed of the per-candidate request seeds"),
    new Option("--extra-body <json>", 'extra request fields, e.g. \'{"top_k": 20, "chat_template_kwargs": {"enable_thinking": true}}\'').argParser(jsonObject),
    new Option("--stream", "stream answers (SSE): long generations are never cut by the timeout while tokens flow"),
    secondsOption("--timeout <s>", "per-attempt timeout: no response headers, or silence in the body, this long", 600),
  ]);
}

export function teachSetup(flags: TeacherFlags): TeachSetup {
  return {
    model: flags.model,
    candidates: flags.candidates,
    seed: flags.seed,
    keepAll: Boolean(flags.keepAll),
    ...(flags.temperature !== undefined ? { temperature: flags.temperature } : {}),
    ...(flags.maxTokens !== undefined ? { maxTokens: flags.maxTokens } : {}),
    ...(flags.extraBody !== undefined ? { extraBody: flags.extraBody } : {}),
  };
}

export function teacherClient(endpoint: string, flags: TeacherFlags & ClientFlags, concurrency: number): LlmClient {
  return makeClient(endpoint, flags, concurrency, { stream: Boolean(flags.stream), timeoutMs: flags.timeout });
}

function jsonObject(value: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(value);
    if (isRecord(parsed)) return parsed;
  } catch {
    // reported below
  }
  throw new UsageError(`--extra-body expects a JSON object, got ${value}`, { flag: "--extra-body" });
}

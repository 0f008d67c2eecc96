import { UsageError } from "../errors/acc-error.js";
import type { Sample } from "../records/sample.js";

export const EXPORT_TARGETS = ["trl", "llamafactory", "axolotl", "openai", "parquet"] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

/**
 * Where the reasoning trace goes: `think` prepends `<think>…</think>` to the answer (works with any
 * chat template), `field` keeps it as `reasoning_content` (Qwen3 / GLM templates render it), `none`
 * drops it.
 */
export type ReasoningMode = "think" | "field" | "none";

/** The reasoning modes each target's rows can hold: LLaMA-Factory's ShareGPT turns have only `from` and `value`. */
export const REASONING_MODES: Record<ExportTarget, readonly ReasoningMode[]> = {
  trl: ["think", "field", "none"],
  llamafactory: ["think", "none"],
  axolotl: ["think", "field", "none"],
  parquet: ["think", "none"],
  openai: ["think", "field", "none"],
};

/** Why a target cannot hold the modes it lacks. */
export const REASONING_LIMITS: Partial<Record<ExportTarget, string>> = {
  llamafactory: "a ShareGPT turn has only from and value; LLaMA-Factory's reasoning templates read <think>…</think> in the value",
  parquet: "the Parquet messages column has only role and content; the reasoning column holds the trace whatever the mode",
};

/** Refuses a mode the target's rows cannot hold, rather than dropping the reasoning. */
export function checkReasoning(target: ExportTarget, reasoning: ReasoningMode): void {
  if (REASONING_MODES[target].includes(reasoning)) return;
  throw new UsageError(`--reasoning ${reasoning}: ${target} rows cannot carry it (${REASONING_LIMITS[target] ?? "not supported"})`, {
    flag: "--reasoning",
    fix: `use --reasoning ${REASONING_MODES[target].join(" or ")}`,
  });
}

export const DEFAULT_REASONING: Record<ExportTarget, ReasoningMode> = {
  trl: "think",
  llamafactory: "think",
  axolotl: "think",
  parquet: "think",
  openai: "none",
};

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
  reasoning_content?: string;
}

export function chatMessages(sample: Sample, reasoning: ReasoningMode): ChatMessage[] {
  return sample.messages.map((m) => {
    if (m.role !== "assistant" || m.reasoning === null || reasoning === "none") return { role: m.role, content: m.content };
    if (reasoning === "field") return { role: "assistant", content: m.content, reasoning_content: m.reasoning };
    return { role: "assistant", content: `<think>\n${m.reasoning}\n</think>\n\n${m.content}` };
  });
}

const SHAREGPT_ROLE = { system: "system", user: "human", assistant: "gpt" } as const;

/** One JSONL row in the target's own format. */
export function exportRow(sample: Sample, target: Exclude<ExportTarget, "parquet">, reasoning: ReasoningMode): Record<string, unknown> {
  const messages = chatMessages(sample, reasoning);
  switch (target) {
    case "trl":
    case "axolotl":
      return { id: sample.id, messages, domain: sample.meta.domain, prompt_tokens: sample.meta.prompt_tokens };
    case "openai":
      return { messages };
    case "llamafactory": {
      const system = messages.find((m) => m.role === "system")?.content;
      return {
        id: sample.id,
        conversations: messages.filter((m) => m.role !== "system").map((m) => ({ from: SHAREGPT_ROLE[m.role], value: m.content })),
        ...(system !== undefined ? { system } : {}),
      };
    }
  }
}

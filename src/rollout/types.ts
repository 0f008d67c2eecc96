import type { OverlongReason } from "../records/rollout.js";
import type { ChatMessage } from "../llm/types.js";
import type { ToolProtocol } from "./protocol.js";

export type ContextName = "supo" | "external" | "mask-observations" | "none";

export interface ContextSettings {
  kind: ContextName;
  /** The working window W: prompt plus completion tokens of any call. */
  window: number;
  /** supo, external: summarize when prompt + max tokens would pass ratio × window. */
  ratio: number;
  /** Summaries an episode may write; the next time the window fills it stops (summary cap). */
  maxSummaries: number;
  /** Max tokens of a summary call (capped further so the call fits the window). */
  summaryMaxTokens: number;
  /** supo: the request appended as a user turn (v_sum); external: the summarizer's system prompt. */
  summaryPrompt: string;
  /** Appended to the task in the next segment's first user message; `{summary}` is replaced by the summary. */
  continuation: string;
  /** An untagged summary (no `<summary>` tags) is kept up to this many characters. */
  maxSummaryChars: number;
  /** mask-observations: tool results kept as they are (older ones become the placeholder). */
  keepObservations: number;
  placeholder: string;
}

export interface EpisodeSettings {
  model: string;
  /** LLM calls of the policy per episode, summaries included (H). */
  maxSteps: number;
  /** Max tokens of each action call (M). */
  maxTokens: number;
  temperature: number;
  topP: number;
  /** Ask the server for token ids and logprobs (vLLM `return_token_ids`, `logprobs`). */
  tokenIds: boolean;
  /** Qwen3-style `enable_thinking`, sent as a chat-template argument and used for local rendering. */
  thinking?: boolean;
  protocol: ToolProtocol;
  context: ContextSettings;
}

/** What a context manager may do to the episode it manages. */
export interface EpisodeControl {
  readonly settings: EpisodeSettings;
  readonly summaries: number;
  /** LLM calls of the policy so far. */
  readonly policySteps: number;
  /** Whether the current segment has an assistant turn after its start. */
  readonly hasTurns: boolean;
  /** SUPO: discards the last assistant turn and its results (the environment keeps their effects). */
  dropLastTurn(): void;
  /** The policy writes a summary of the current segment (a trained step); undefined when it cannot fit. */
  summarizeWithPolicy(): Promise<string | undefined>;
  /** A separate summarizer writes one (an untrained step). */
  summarizeExternally(): Promise<string>;
  /** Starts the next segment from the system prompt, the task and the summary. */
  startSegment(summary: string): void;
}

/** Decides what the policy sees and what happens when the next call would not fit. */
export interface ContextManager {
  /** Prompt + max tokens of an action call may not pass this. */
  limit(window: number): number;
  /** The messages sent for the current segment. */
  view(messages: readonly ChatMessage[]): readonly ChatMessage[];
  /** The next action call would pass the limit: make room (and say "continue"), or stop the episode. */
  onFull(episode: EpisodeControl): Promise<"continue" | OverlongReason>;
}

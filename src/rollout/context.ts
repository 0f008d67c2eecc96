import type { ChatMessage } from "../llm/types.js";
import type { OverlongReason } from "../records/rollout.js";
import type { ContextManager, ContextSettings, EpisodeControl } from "./types.js";

/** The summary request of SUPO's CodeGym setting (appendix B.2), sent as a user turn. */
export const SUPO_SUMMARY_PROMPT = [
  "You are a helpful agent interacting with a function calling environment to solve user's problem. The interaction history is now too long. Please summarize the interaction history.",
  "- Remember to keep the important information in the history to ensure that you can continue solving the problem.",
  "- Do not call any function in this turn.",
  "Now generate the summary, and put your summary inside tag <summary></summary>.",
].join("\n");

/** The system prompt of the external summarizer. */
export const EXTERNAL_SUMMARY_PROMPT = [
  "You summarize the work of an agent on a task so that it can continue from your summary alone.",
  "Keep the task's requirements, everything found so far (names, numbers, ids, file paths), what was tried and failed, and the next step.",
  "Put the summary inside <summary></summary>.",
].join("\n");

/** What follows the task in the first user message of a segment after a summary (SUPO appendix C.1.1). */
export const CONTINUATION = "\n\nWe are in the following stage of solving the problem:\n{summary}";

export const OBSERVATION_PLACEHOLDER = "[older tool result omitted to save context]";

/** Managers that summarize when the next call would pass ratio × window; they show the history unchanged. */
abstract class SummarizingManager implements ContextManager {
  constructor(protected readonly settings: ContextSettings) {}

  limit(window: number): number {
    return Math.floor(this.settings.ratio * window);
  }

  view(messages: readonly ChatMessage[]): readonly ChatMessage[] {
    return messages;
  }

  abstract onFull(episode: EpisodeControl): Promise<"continue" | OverlongReason>;
}

/**
 * SUPO: when the next call would pass ratio × window, drop the last (action, observation) pair, have the
 * policy summarize, and start the next segment from [system, task + summary]. The summary is trained.
 */
class SupoManager extends SummarizingManager {
  async onFull(episode: EpisodeControl): Promise<"continue" | OverlongReason> {
    if (!episode.hasTurns) return "window";
    if (episode.summaries >= this.settings.maxSummaries) return "summary-cap";
    if (episode.policySteps >= episode.settings.maxSteps) return "step-cap";
    episode.dropLastTurn();
    const summary = await episode.summarizeWithPolicy();
    if (summary === undefined) return "window";
    episode.startSegment(summary);
    return "continue";
  }
}

/** ReSum / OpenHands style: a separate summarizer call (not trained) writes the summary; nothing is dropped. */
class ExternalManager extends SummarizingManager {
  async onFull(episode: EpisodeControl): Promise<"continue" | OverlongReason> {
    if (!episode.hasTurns) return "window";
    if (episode.summaries >= this.settings.maxSummaries) return "summary-cap";
    episode.startSegment(await episode.summarizeExternally());
    return "continue";
  }
}

/** Keeps the last k tool results; older ones are replaced by a placeholder. Stops when even that does not fit. */
class MaskObservationsManager implements ContextManager {
  constructor(private readonly settings: ContextSettings) {}

  limit(window: number): number {
    return window;
  }

  view(messages: readonly ChatMessage[]): readonly ChatMessage[] {
    const observations = messages.flatMap((m, i) => (isObservation(m, i) ? [i] : []));
    const masked = new Set(observations.slice(0, Math.max(0, observations.length - this.settings.keepObservations)));
    if (masked.size === 0) return messages;
    return messages.map((m, i) => (masked.has(i) ? { ...m, content: this.settings.placeholder } : m));
  }

  async onFull(): Promise<"continue" | OverlongReason> {
    return "window";
  }
}

/** No management: the episode stops when the window is full. */
class NoManager implements ContextManager {
  limit(window: number): number {
    return window;
  }

  view(messages: readonly ChatMessage[]): readonly ChatMessage[] {
    return messages;
  }

  async onFull(): Promise<"continue" | OverlongReason> {
    return "window";
  }
}

/** Tool results: tool messages, or (text protocol) the user messages that carry them. */
function isObservation(message: ChatMessage, index: number): boolean {
  if (message.role === "tool") return true;
  return index > 1 && message.role === "user" && typeof message.content === "string" && message.content.startsWith("<tool_response");
}

export function contextManager(settings: ContextSettings): ContextManager {
  switch (settings.kind) {
    case "supo":
      return new SupoManager(settings);
    case "external":
      return new ExternalManager(settings);
    case "mask-observations":
      return new MaskObservationsManager(settings);
    case "none":
      return new NoManager();
  }
}

/**
 * Why a completion stopped, in acc's fixed vocabulary. Servers spell it their own way (OpenAI `stop`,
 * `length`, `tool_calls`, `content_filter`, the legacy `function_call`; Anthropic-style `end_turn`,
 * `max_tokens`, `tool_use`; vLLM's `abort`; Gemini's upper-case `STOP`, `MAX_TOKENS`, `SAFETY`); they are
 * mapped here once, and the raw value stays beside the mapped one (`ChatResult.finish_reason`) for records.
 */
export type FinishReason = "stop" | "length" | "tool-calls" | "content-filter" | "error" | "other";

export function mapFinishReason(raw: string | null): FinishReason | null {
  if (raw === null) return null;
  switch (raw.toLowerCase()) {
    case "stop":
    case "end_turn":
    case "stop_sequence":
    case "eos":
      return "stop";
    case "length":
    case "max_tokens":
    case "model_length":
      return "length";
    case "tool_calls":
    case "function_call":
    case "tool_use":
      return "tool-calls";
    case "content_filter":
    case "safety":
    case "refusal":
      return "content-filter";
    case "error":
    case "abort":
      return "error";
    default:
      return "other";
  }
}

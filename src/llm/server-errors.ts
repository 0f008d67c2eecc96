/** What a server's error body says: its message, whether the prompt was too long, and when to try again. */

/** Longest excerpt of an error body kept in a message. */
const ERROR_EXCERPT_CHARS = 300;

/** The error message of a body: OpenAI's `{"error": {"message"}}`, `{"error": "…"}`, vLLM/SGLang's `{"object": "error", "message"}`, or the text itself. */
export function errorMessage(text: string): string {
  try {
    const json = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof json.error === "string" ? json.error : (json.error?.message ?? json.message);
    if (typeof message === "string") return message.slice(0, ERROR_EXCERPT_CHARS);
  } catch {
    // not JSON: show the text itself
  }
  return text.slice(0, ERROR_EXCERPT_CHARS) || "(empty body)";
}

/**
 * How servers word "the prompt does not fit the context window", as each one sends it:
 * OpenAI, DeepSeek, Groq, OpenRouter, vLLM ("maximum context length is N tokens"), SGLang ("longer than
 * the model's context length"), llama.cpp ("exceeds the available context size"), Mistral ("too large for
 * model with N maximum context length"), xAI ("maximum prompt length is N"), Moonshot ("exceeded model
 * token limit"), Anthropic-style ("prompt is too long"), TGI ("must be <= N" for inputs + max_new_tokens),
 * Gemini ("input token count … exceeds the maximum").
 */
const CONTEXT_LENGTH_MESSAGE = new RegExp(
  [
    "maximum context length",
    "context[_ ]length[_ ]exceeded",
    "longer than the model'?s context length",
    "exceeds? the (?:available )?context (?:size|window|length)",
    "maximum prompt length",
    "exceeded model token limit",
    "prompt is too long",
    "input is too long",
    "too large for model with \\d+ maximum context length",
    "inputs` tokens \\+ `max_new_tokens` must be",
    "input token count .* exceeds the maximum",
    "reduce the length of the (?:messages|prompt|input)",
  ].join("|"),
  "i",
);

/** Codes servers put beside the message for the same failure (OpenAI, Groq: context_length_exceeded; llama.cpp: exceed_context_size_error). */
const CONTEXT_LENGTH_CODES = new Set(["context_length_exceeded", "exceed_context_size_error", "string_above_max_length"]);

/** Whether an error (a 4xx body, or an error event inside a stream) says the prompt is longer than the model's context window. */
export function isContextLengthError(status: number | undefined, text: string): boolean {
  if (status !== undefined && (status < 400 || status >= 500)) return false;
  let codes: unknown[] = [];
  try {
    const json = JSON.parse(text) as { error?: { code?: unknown; type?: unknown }; code?: unknown; type?: unknown };
    codes = [json.error?.code, json.error?.type, json.code, json.type];
  } catch {
    // a plain-text body: only the wording tells
  }
  return codes.some((code) => typeof code === "string" && CONTEXT_LENGTH_CODES.has(code)) || CONTEXT_LENGTH_MESSAGE.test(text);
}

/**
 * A wait the body asks for when no Retry-After header does: "Please try again in 6s", "try again in
 * 1m30.5s", "try again in 250ms" (OpenAI, Groq), "Please retry after 20 seconds" (Azure), "retry in 3.2
 * seconds". Milliseconds, or undefined when the body names none.
 */
export function retryAfterFromBody(text: string): number | undefined {
  const match = /(?:try again|retry)\s+(?:in|after)\s+((?:\d+(?:\.\d+)?\s*(?:ms|milliseconds?|h|hours?|m(?!s)|min(?:ute)?s?|s|sec(?:ond)?s?)?\s*)+)/i.exec(text);
  if (!match) return undefined;
  let total = 0;
  let found = false;
  for (const [, amount, unit] of match[1]!.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]*)/gi)) {
    const scale = unitMs(unit!.toLowerCase());
    if (scale === undefined) break;
    total += Number(amount) * scale;
    found = true;
  }
  return found ? Math.round(total) : undefined;
}

function unitMs(unit: string): number | undefined {
  if (unit === "" || unit.startsWith("s")) return 1000;
  if (unit === "ms" || unit.startsWith("milli")) return 1;
  if (unit === "m" || unit.startsWith("min")) return 60_000;
  if (unit.startsWith("h")) return 3_600_000;
  return undefined;
}

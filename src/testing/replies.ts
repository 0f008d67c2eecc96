/** What the test server can be told to do with one request, and the wire bodies of an answer. */

export interface AnswerToolCall {
  id?: string;
  name: string;
  /** Sent verbatim as `function.arguments`. */
  arguments: string;
}

export interface Answer {
  type: "answer";
  content?: string | null;
  reasoning?: string;
  /** Which message field carries the reasoning (default `reasoning_content`; vLLM ≥ 0.17 uses `reasoning`). */
  reasoningField?: "reasoning_content" | "reasoning" | "both";
  tool_calls?: AnswerToolCall[];
  finish_reason?: string;
  /** Usage to report; default counts whitespace-separated words. */
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number; reasoning_tokens?: number };
  /** vLLM-style token ids: `prompt_token_ids` on the response, `token_ids` on the choice. */
  prompt_token_ids?: number[];
  completion_token_ids?: number[];
  /** One log probability per completion token, sent as `logprobs.content[].logprob`. */
  logprobs?: number[];
  model?: string;
  /** Characters per streamed content/reasoning/arguments delta (default 4). */
  chunkChars?: number;
  delayMs?: number;
}

export type Reply =
  | Answer
  /** An HTTP error with an OpenAI-style `{"error": {...}}` body; `retryAfter` becomes the Retry-After header. */
  | { type: "error"; status: number; message?: string; retryAfter?: string; delayMs?: number }
  /** Never answer (until the client gives up or the server closes). */
  | { type: "hang" }
  /**
   * Send part of the answer (streaming: the first `chunks` SSE events, default 2; plain: half the body),
   * then, `after` that: "drop" the connection (default), "end" the response cleanly as a cutting proxy
   * would, or "hang" with the connection open.
   */
  | { type: "truncate"; chunks?: number; after?: "drop" | "end" | "hang"; answer?: Omit<Answer, "type"> }
  /** 200 with a body that is not valid JSON, or valid JSON without `choices`. */
  | { type: "malformed"; body: "invalid-json" | "no-choices" }
  /** Reset the TCP connection without answering. */
  | { type: "reset" }
  /**
   * A recorded response replayed byte for byte: the status, content type and body, written in the pieces
   * `cuts` makes (byte offsets where a new network write starts; "bytes" writes one byte at a time), each
   * write after the previous one has left, so the client reads them as separate chunks.
   */
  | RawReply;

export interface RawReply {
  type: "raw";
  status?: number;
  contentType?: string;
  body: string | Uint8Array;
  cuts?: number[] | "bytes";
}

export interface CompletionRequestBody {
  model?: string;
  messages?: { role?: string; content?: unknown }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

/** The characters of the regular-expression class \s. */
function isSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  return (
    code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 ||
    code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff
  );
}

/** Whitespace-separated words (a scan, not a split: benches count every prompt). */
function words(text: string | null | undefined): number {
  if (!text) return 0;
  let count = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = isSpace(text.charCodeAt(i));
    if (!space && !inWord) count++;
    inWord = !space;
  }
  return count;
}

/** The default reply: a deterministic echo of the last user message, usage counted as whitespace tokens. */
export function echoAnswer(body: CompletionRequestBody): Answer {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const lastUser = messages.findLast((m) => m.role === "user");
  const text = typeof lastUser?.content === "string" ? lastUser.content : "";
  return { type: "answer", content: `echo: ${text}` };
}

function usageOf(answer: Answer, body: CompletionRequestBody) {
  if (answer.usage) {
    const { reasoning_tokens, ...counts } = answer.usage;
    return reasoning_tokens === undefined ? counts : { ...counts, completion_tokens_details: { reasoning_tokens } };
  }
  const prompt = (body.messages ?? []).reduce((n, m) => n + (typeof m.content === "string" ? words(m.content) : 0), 0);
  const completion = words(answer.content) + words(answer.reasoning);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function reasoningFields(answer: Answer, text: string): Record<string, string> {
  const field = answer.reasoningField ?? "reasoning_content";
  if (field === "both") return { reasoning_content: text, reasoning: text };
  return { [field]: text };
}

function finishReason(answer: Answer): string {
  return answer.finish_reason ?? (answer.tool_calls?.length ? "tool_calls" : "stop");
}

const callId = (call: AnswerToolCall, i: number) => call.id ?? `call_${i}`;

function logprobsOf(answer: Answer) {
  return answer.logprobs ? { content: answer.logprobs.map((logprob, i) => ({ token: `t${i}`, logprob, top_logprobs: [] })) } : null;
}

/** A complete `chat.completion` response body. */
export function completionBody(answer: Answer, body: CompletionRequestBody, id: string, created: number): unknown {
  const message: Record<string, unknown> = { role: "assistant", content: answer.content === undefined ? null : answer.content };
  if (answer.reasoning !== undefined) Object.assign(message, reasoningFields(answer, answer.reasoning));
  if (answer.tool_calls?.length) {
    message["tool_calls"] = answer.tool_calls.map((call, i) => ({
      id: callId(call, i),
      type: "function",
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  const choice: Record<string, unknown> = { index: 0, message, finish_reason: finishReason(answer), logprobs: logprobsOf(answer) };
  if (answer.completion_token_ids) choice["token_ids"] = answer.completion_token_ids;
  const response: Record<string, unknown> = {
    id,
    object: "chat.completion",
    created,
    model: answer.model ?? body.model ?? "test-model",
    choices: [choice],
    usage: usageOf(answer, body),
  };
  if (answer.prompt_token_ids) response["prompt_token_ids"] = answer.prompt_token_ids;
  return response;
}

function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/**
 * Token ids and logprobs of the i-th of n content deltas, as vLLM streams them: the first n-1 deltas carry
 * one token each, the last one the rest.
 */
function tokenFields(answer: Answer, i: number, n: number): Record<string, unknown> {
  const part = (values: number[]) => {
    const from = Math.min(i, values.length);
    return { from, values: i === n - 1 ? values.slice(from) : values.slice(from, from + 1) };
  };
  const fields: Record<string, unknown> = {};
  if (answer.completion_token_ids) fields["token_ids"] = part(answer.completion_token_ids).values;
  if (answer.logprobs) {
    const { from, values } = part(answer.logprobs);
    fields["logprobs"] = { content: values.map((logprob, k) => ({ token: `t${from + k}`, logprob, top_logprobs: [] })) };
  }
  return fields;
}

/** The `chat.completion.chunk` events of a streamed answer, without the final `[DONE]`. */
export function completionChunks(answer: Answer, body: CompletionRequestBody, id: string, created: number): unknown[] {
  const model = answer.model ?? body.model ?? "test-model";
  const size = Math.max(1, answer.chunkChars ?? 4);
  const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices: [Object.assign({ index: 0, delta, logprobs: null, finish_reason: null }, extra)],
  });
  const first: Record<string, unknown> = chunk({ role: "assistant", content: "" });
  if (answer.prompt_token_ids) first["prompt_token_ids"] = answer.prompt_token_ids;
  const chunks: unknown[] = [first];
  if (answer.reasoning) for (const piece of pieces(answer.reasoning, size)) chunks.push(chunk(reasoningFields(answer, piece)));
  const contentPieces = answer.content ? pieces(answer.content, size) : [];
  contentPieces.forEach((piece, i) => chunks.push(chunk({ content: piece }, tokenFields(answer, i, contentPieces.length))));
  answer.tool_calls?.forEach((call, index) => {
    chunks.push(chunk({ tool_calls: [{ index, id: callId(call, index), type: "function", function: { name: call.name, arguments: "" } }] }));
    for (const piece of pieces(call.arguments, size)) chunks.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  const finish = { finish_reason: finishReason(answer) };
  chunks.push(chunk({}, contentPieces.length === 0 ? { ...tokenFields(answer, 0, 1), ...finish } : finish));
  if (body.stream_options?.include_usage) {
    chunks.push({ id, object: "chat.completion.chunk", created, model, choices: [], usage: usageOf(answer, body) });
  }
  return chunks;
}

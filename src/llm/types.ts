/** The wire-level shapes of an OpenAI-compatible chat-completions client, and its error. */
import { AccError } from "../errors/acc-error.js";
import type { FinishReason } from "./finish-reason.js";

export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string | null;
  tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
  name?: string;
  reasoning_content?: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  seed?: number;
  stop?: string[];
  tools?: unknown[];
  tool_choice?: unknown;
  n?: number;
  /** Overrides the client's `stream` option for this request. */
  stream?: boolean;
  logprobs?: boolean;
  /** Extra fields merged into the request body as-is (e.g. vLLM's `return_token_ids`). */
  extra_body?: Record<string, unknown>;
}

export interface ChatToolCall {
  id: string;
  name: string;
  /** The raw argument string as the server sent it, never re-serialised. */
  arguments: string;
}

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  reasoning_tokens?: number;
}

export interface ChatResult {
  content: string | null;
  reasoning: string | null;
  tool_calls: ChatToolCall[];
  /** The server's own word for why the completion stopped, as sent (kept in records). */
  finish_reason: string | null;
  /** The same, mapped to acc's fixed vocabulary (see finish-reason.ts): what callers decide on. */
  finish: FinishReason | null;
  usage: ChatUsage | null;
  prompt_token_ids?: number[];
  completion_token_ids?: number[];
  /** Per-token log probabilities of the completion, when the server returned them. */
  logprobs?: number[];
  model: string | null;
  /** True when the result came from the disk cache (no request was sent). */
  cached: boolean;
  /** Requests sent for this result (0 when cached). */
  attempts: number;
  /**
   * The parsed response body; for a stream, `{ events, chunks }`: the number of events and the chunks that
   * carry more than deltas (the first, those with a finish reason, the usage chunk).
   */
  raw: unknown;
}

export interface ClientStats {
  /** HTTP requests sent, retries included. */
  requests: number;
  cache_hits: number;
  retries: number;
  /** chat() calls that ended in an error. */
  failures: number;
  prompt_tokens: number;
  completion_tokens: number;
}

export interface LlmClient {
  chat(request: ChatRequest, options?: { signal?: AbortSignal }): Promise<ChatResult>;
  stats(): ClientStats;
  close(): Promise<void>;
}

export interface ClientOptions {
  /** Base URL such as http://127.0.0.1:8000/v1 (requests go to `${endpoint}/chat/completions`). */
  endpoint: string;
  apiKey?: string;
  /** Name of an environment variable holding the key. */
  apiKeyEnv?: string;
  /** Path of a file holding the key (surrounding whitespace is ignored). */
  apiKeyFile?: string;
  /** Requests in flight at most (default 16). */
  concurrency?: number;
  /** Retries after the first attempt (default 5). */
  maxRetries?: number;
  /** Per-attempt timeout in milliseconds (default 600000). */
  timeoutMs?: number;
  /** Folder of the response cache; no cache when absent. */
  cacheDir?: string;
  /**
   * The most bytes read of one answer, streamed or not (default 256 MiB: far above a real completion; a
   * bound on what a broken or hostile server can make acc hold). Past it the answer is "malformed".
   */
  maxResponseBytes?: number;
  /** Stream responses (SSE) by default (default false). */
  stream?: boolean;
  /** Retry delays: full jitter under a ceiling that starts at baseMs and doubles up to maxMs (default 500 / 30000). */
  backoff?: { baseMs: number; maxMs: number };
  /**
   * After `failures` consecutive server failures (5xx, 408, 409, timeouts, network errors, malformed bodies;
   * not 429), calls fail fast with "circuit-open" for `cooldownMs`, then one attempt probes.
   * Default { failures: 32, cooldownMs: 30000 }; false turns it off.
   */
  circuitBreaker?: { failures: number; cooldownMs: number } | false;
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  /** The attempt that failed (1-based). */
  attempt: number;
  delayMs: number;
  error: LlmError;
}

/**
 * `context-length`: the server refused the prompt as longer than the model's context window (an HTTP 4xx
 * or an error event in a stream); a retry would fail the same way, so callers report it on its own.
 */
export type LlmErrorCode = "http" | "context-length" | "timeout" | "network" | "malformed" | "circuit-open" | "aborted";

/** A failed chat call. The message names the URL and attempt; it never contains the API key. */
export class LlmError extends AccError {
  declare readonly code: LlmErrorCode;
  readonly status?: number;
  readonly url: string;
  readonly attempt: number;
  /** How long the server asked us to wait (Retry-After), in milliseconds, when it did. */
  readonly retryAfterMs?: number;

  constructor(
    code: LlmErrorCode,
    detail: string,
    context: { url: string; attempt: number; status?: number; retryAfterMs?: number; cause?: unknown },
  ) {
    super(`${detail} (${context.url}, attempt ${context.attempt})`, { code, cause: context.cause });
    this.name = "LlmError";
    this.url = context.url;
    this.attempt = context.attempt;
    if (context.status !== undefined) this.status = context.status;
    if (context.retryAfterMs !== undefined) this.retryAfterMs = context.retryAfterMs;
  }
}

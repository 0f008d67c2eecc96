import { setTimeout as sleep } from "node:timers/promises";
import { Pool } from "undici";
import { type CachedResult, canonicalJson, keyOfBody, requestBody, ResponseCache } from "./cache.js";
import { bodyJson } from "./body.js";
import { CircuitBreaker } from "./circuit.js";
import { errorText, postText, ResponseTooLarge } from "./http.js";
import { loadApiKey, redact, redactError } from "./keys.js";
import { Limiter } from "../run/limiter.js";
import { type ParsedChoice, parseCompletion, ResponseShapeError } from "./response.js";
import { type Backoff, DEFAULT_BACKOFF, isRetryable, isServerFailure, parseRetryAfter, retryDelay } from "./retry.js";
import { errorMessage, isContextLengthError, retryAfterFromBody } from "./server-errors.js";
import { mapFinishReason } from "./finish-reason.js";
import { readChatStream, StreamError } from "./stream.js";
import { type ChatRequest, type ChatResult, type ClientOptions, type ClientStats, type LlmClient, LlmError } from "./types.js";

export type { ClientOptions, RetryInfo } from "./types.js";

const DEFAULTS = { concurrency: 16, maxRetries: 5, timeoutMs: 600_000, maxResponseBytes: 256 * 1024 * 1024, circuitBreaker: { failures: 32, cooldownMs: 30_000 } };

/** An OpenAI-compatible chat-completions client: see docs/llm-client.md. */
export function createClient(options: ClientOptions): LlmClient {
  return new Client(options);
}

interface Answer {
  parsed: ParsedChoice;
  raw: unknown;
}

class Client implements LlmClient {
  private readonly endpoint: string;
  private readonly url: URL;
  private readonly path: string;
  private readonly shownUrl: string;
  private readonly pool: Pool;
  private readonly headers: Record<string, string>;
  private readonly key: string | undefined;
  private readonly limiter: Limiter;
  private readonly cache: ResponseCache | undefined;
  private readonly running = new Map<string, Promise<ChatResult>>();
  private readonly breaker: CircuitBreaker | undefined;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly backoff: Backoff;
  private readonly counters: ClientStats = { requests: 0, cache_hits: 0, retries: 0, failures: 0, prompt_tokens: 0, completion_tokens: 0 };

  constructor(private readonly options: ClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, "");
    this.url = new URL(`${this.endpoint}/chat/completions`);
    this.path = this.url.pathname + this.url.search;
    this.key = loadApiKey(options);
    this.shownUrl = redact(this.url.href, this.key);
    const concurrency = options.concurrency ?? DEFAULTS.concurrency;
    this.limiter = new Limiter(concurrency);
    this.pool = new Pool(this.url.origin, { connections: concurrency });
    this.headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    if (this.key !== undefined) this.headers["authorization"] = `Bearer ${this.key}`;
    this.cache = options.cacheDir === undefined ? undefined : new ResponseCache(options.cacheDir);
    const breaker = options.circuitBreaker ?? DEFAULTS.circuitBreaker;
    this.breaker = breaker === false ? undefined : new CircuitBreaker(breaker.failures, breaker.cooldownMs);
    this.maxRetries = options.maxRetries ?? DEFAULTS.maxRetries;
    this.timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULTS.maxResponseBytes;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  // not async: an async frame would be held by every request in flight for its whole round trip (each
  // young-generation collection copies it), only to count failures
  chat(request: ChatRequest, options: { signal?: AbortSignal } = {}): Promise<ChatResult> {
    return this.answer(request, options.signal).catch(this.countFailure);
  }

  private readonly countFailure = (error: unknown): never => {
    this.counters.failures++;
    throw error;
  };

  // not async: without a cache the request goes straight to fetch, one promise fewer per request
  private answer(request: ChatRequest, signal: AbortSignal | undefined): Promise<ChatResult> {
    if (signal?.aborted) return Promise.reject(this.abortedError(1));
    return this.cache ? this.cachedAnswer(request, signal, this.cache) : this.fetch(request, signal);
  }

  private async cachedAnswer(request: ChatRequest, signal: AbortSignal | undefined, cache: ResponseCache): Promise<ChatResult> {
    // the canonical body is both the key's text and, unless streaming, the bytes sent: made bytes before
    // hashing, so that no string of it stays alive while the request waits for its answer
    const plainBody = Buffer.from(canonicalJson(requestBody(request, false)));
    const key = keyOfBody(this.endpoint, plainBody);
    const hit = await cache.get(key);
    if (hit) {
      this.counters.cache_hits++;
      return toResult(hit, hit.raw, true, 0);
    }
    // an identical request already on its way is answered once: the cache would give its answer anyway
    const running = this.running.get(key);
    if (running) {
      try {
        const shared = await running;
        this.counters.cache_hits++;
        return toResult(shared, shared.raw, true, 0);
      } catch (error) {
        if (!(error instanceof LlmError && error.code === "aborted")) throw error;
        return this.answer(request, signal);
      }
    }
    const fetched = this.fetch(request, signal, { key, plainBody });
    this.running.set(key, fetched);
    try {
      return await fetched;
    } finally {
      this.running.delete(key);
    }
  }

  /** Sends the request, retrying per policy; stores the answer under `cached.key` when caching. */
  private async fetch(request: ChatRequest, signal: AbortSignal | undefined, cached?: { key: string; plainBody: Buffer }): Promise<ChatResult> {
    const stream = request.stream ?? this.options.stream ?? false;
    // bytes, kept for retries: undici would turn a string into bytes at every attempt, and a string kept
    // alive for the whole exchange is copied by every young-generation collection while it waits
    const body = !stream && cached ? cached.plainBody : Buffer.from(bodyJson(requestBody(request, stream)));
    for (let attempt = 1; ; attempt++) {
      let answer: Answer;
      try {
        answer = await this.attempt(body, stream, attempt, signal);
      } catch (caught) {
        const error = caught as LlmError;
        if (!isRetryable(error) || attempt > this.maxRetries) throw error;
        const delayMs = retryDelay(attempt, this.backoff, error.retryAfterMs, Math.random);
        this.counters.retries++;
        this.options.onRetry?.({ attempt, delayMs, error });
        try {
          await sleep(delayMs, undefined, { signal });
        } catch {
          throw this.abortedError(attempt);
        }
        continue;
      }
      const result = toResult(answer.parsed, answer.raw, false, attempt);
      this.counters.prompt_tokens += result.usage?.prompt_tokens ?? 0;
      this.counters.completion_tokens += result.usage?.completion_tokens ?? 0;
      if (this.cache && cached) await this.cache.put(cached.key, cacheEntry(result));
      return result;
    }
  }

  /** One HTTP request holding a concurrency slot and reporting to the breaker; every failure leaves as an LlmError. */
  private async attempt(body: Buffer, stream: boolean, attempt: number, signal: AbortSignal | undefined): Promise<Answer> {
    if (!this.limiter.tryAcquire()) {
      try {
        await this.limiter.acquire(signal);
      } catch {
        throw this.abortedError(attempt);
      }
    }
    if (signal?.aborted) {
      this.limiter.release();
      throw this.abortedError(attempt);
    }
    if (this.breaker && !this.breaker.allow()) {
      this.limiter.release();
      const seconds = Math.ceil(this.breaker.remainingMs() / 1000);
      throw new LlmError("circuit-open", `circuit breaker open after repeated server failures; next probe in ${seconds}s`, this.context(attempt));
    }
    let health: "success" | "failure" | "neutral" = "neutral";
    try {
      this.counters.requests++;
      const answer = await this.exchange(body, stream, attempt, signal);
      health = "success";
      return answer;
    } catch (caught) {
      const error = this.toLlmError(caught, attempt, signal);
      if (isServerFailure(error)) health = "failure";
      throw error;
    } finally {
      this.limiter.release();
      if (health === "success") this.breaker?.success();
      else if (health === "failure") this.breaker?.failure();
      else this.breaker?.neutral();
    }
  }

  private exchange(body: Buffer, stream: boolean, attempt: number, signal: AbortSignal | undefined): Promise<Answer> {
    return stream ? this.exchangeStream(body, attempt, signal) : this.exchangePlain(body, attempt, signal);
  }

  private async exchangeStream(body: Buffer, attempt: number, signal: AbortSignal | undefined): Promise<Answer> {
    // undici's own timers bound the wait for the head and every silence in the body: cheaper than a timer
    // and an AbortController per request, and a long stream that keeps talking is not cut off
    const response = await this.pool.request({
      method: "POST",
      path: this.path,
      headers: this.headers,
      body,
      signal,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    const status = response.statusCode;
    if (status < 200 || status >= 300) {
      const retryAfter = response.headers["retry-after"];
      throw this.httpError(status, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, await errorText(response.body, this.maxResponseBytes), attempt);
    }
    return this.readStream(response.body, attempt);
  }

  /** A plain (not streamed) answer, read whole by the light dispatcher path (postText). */
  private async exchangePlain(body: Buffer, attempt: number, signal: AbortSignal | undefined): Promise<Answer> {
    const response = await postText(this.pool, { path: this.path, headers: this.headers, body, signal, timeoutMs: this.timeoutMs, maxBytes: this.maxResponseBytes });
    const status = response.statusCode;
    if (status < 200 || status >= 300) throw this.httpError(status, response.header("retry-after"), response.text, attempt);
    const text = response.text;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw this.malformed(`invalid JSON body: ${JSON.stringify(text.slice(0, 80))}`, attempt, error);
    }
    try {
      return { parsed: parseCompletion(json), raw: json };
    } catch (error) {
      throw this.malformed(shapeMessage(error), attempt, error);
    }
  }

  private httpError(status: number, retryAfter: string | undefined, text: string, attempt: number): LlmError {
    // without the header, the body may say how long to wait ("Please try again in 6s")
    const retryAfterMs = parseRetryAfter(retryAfter, Date.now()) ?? retryAfterFromBody(text);
    const code = isContextLengthError(status, text) ? "context-length" : "http";
    return new LlmError(code, `HTTP ${status}: ${this.redact(errorMessage(text))}`, { ...this.context(attempt), status, retryAfterMs });
  }

  private async readStream(body: AsyncIterable<Uint8Array>, attempt: number): Promise<Answer> {
    try {
      return await readChatStream(body, this.maxResponseBytes);
    } catch (error) {
      if (!(error instanceof StreamError)) throw error;
      if (error.kind === "malformed") throw this.malformed(error.message, attempt, error);
      throw new LlmError("context-length", this.redact(error.message), { ...this.context(attempt), cause: this.keptCause(error) });
    }
  }

  private context(attempt: number) {
    return { url: this.shownUrl, attempt };
  }

  private malformed(detail: string, attempt: number, cause?: unknown): LlmError {
    return new LlmError("malformed", this.redact(detail), { ...this.context(attempt), cause: this.keptCause(cause) });
  }

  private abortedError(attempt: number): LlmError {
    return new LlmError("aborted", "aborted by the caller", this.context(attempt));
  }

  private toLlmError(caught: unknown, attempt: number, signal: AbortSignal | undefined): LlmError {
    if (caught instanceof LlmError) return caught;
    if (signal?.aborted) return this.abortedError(attempt);
    if (caught instanceof ResponseTooLarge) return this.malformed(caught.message, attempt, caught);
    const error = caught as Error & { code?: string; cause?: { code?: string; message?: string } };
    const code = error.cause?.code ?? error.code ?? error.name;
    if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
      const what = code === "UND_ERR_HEADERS_TIMEOUT" ? "no response" : "the response went silent";
      return new LlmError("timeout", `${what} for ${this.timeoutMs} ms`, { ...this.context(attempt), cause: this.keptCause(caught) });
    }
    return new LlmError("network", this.redact(`connection failed: ${code}: ${error.message}`), { ...this.context(attempt), cause: this.keptCause(caught) });
  }

  private redact(text: string): string {
    return redact(text, this.key);
  }

  /** The error an LlmError is caused by, with the key redacted from its text as from the message (`--debug` prints causes). */
  private keptCause(error: unknown): unknown {
    return redactError(error, this.key);
  }

  stats(): ClientStats {
    return { ...this.counters };
  }

  /** Waits for requests in flight and for their answers to reach the cache, so a rerun right after finds them. */
  async close(): Promise<void> {
    await this.pool.close();
    await Promise.allSettled(this.running.values());
  }
}

// Objects on the hot path are built field by field: on Node 20 a spread followed by more fields costs microseconds.

function toResult(parsed: ParsedChoice, raw: unknown, cached: boolean, attempts: number): ChatResult {
  const result: ChatResult = {
    content: parsed.content,
    reasoning: parsed.reasoning,
    tool_calls: parsed.tool_calls,
    finish_reason: parsed.finish_reason,
    finish: mapFinishReason(parsed.finish_reason),
    usage: parsed.usage,
    model: parsed.model,
    cached,
    attempts,
    raw,
  };
  if (parsed.prompt_token_ids) result.prompt_token_ids = parsed.prompt_token_ids;
  if (parsed.completion_token_ids) result.completion_token_ids = parsed.completion_token_ids;
  if (parsed.logprobs) result.logprobs = parsed.logprobs;
  return result;
}

function cacheEntry(result: ChatResult): CachedResult {
  const entry: CachedResult = {
    content: result.content,
    reasoning: result.reasoning,
    tool_calls: result.tool_calls,
    finish_reason: result.finish_reason,
    usage: result.usage,
    model: result.model,
    raw: result.raw,
  };
  if (result.prompt_token_ids) entry.prompt_token_ids = result.prompt_token_ids;
  if (result.completion_token_ids) entry.completion_token_ids = result.completion_token_ids;
  if (result.logprobs) entry.logprobs = result.logprobs;
  return entry;
}


function shapeMessage(error: unknown): string {
  if (error instanceof ResponseShapeError) return error.message;
  throw error;
}

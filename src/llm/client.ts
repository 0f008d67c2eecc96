import { setTimeout as sleep } from "node:timers/promises";
import { Pool } from "undici";
import { type CachedResult, canonicalJson, keyOfBody, type PackWaiter, requestBody, ResponseCache } from "./cache.js";
import { bodyJson } from "./body.js";
import { CircuitBreaker } from "./circuit.js";
import { errorText, ResponseTooLarge, TextExchange, type TextResponse } from "./http.js";
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
  /** A plain answer's reply, JSON text on one line: what the cache stores. */
  reply?: string;
}

class Client implements LlmClient {
  private readonly endpoint: string;
  private readonly url: URL;
  readonly path: string;
  readonly shownUrl: string;
  readonly pool: Pool;
  readonly headers: Record<string, string>;
  private readonly key: string | undefined;
  readonly limiter: Limiter;
  readonly cache: ResponseCache | undefined;
  /** The request in flight for each cache key. */
  readonly running = new Map<string, Call>();
  readonly breaker: CircuitBreaker | undefined;
  readonly maxRetries: number;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly backoff: Backoff;
  readonly counters: ClientStats = { requests: 0, cache_hits: 0, retries: 0, failures: 0, prompt_tokens: 0, completion_tokens: 0 };

  constructor(readonly options: ClientOptions) {
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

  /**
   * Not async, and no async function below it on the common path: a request is one Call object (its
   * handler, retries and cache write) and the one promise the caller gets. Suspended async frames, one
   * per layer (cache, retries, concurrency slot, exchange), would each be held by every request in flight
   * for its whole round trip and copied by every young-generation collection meanwhile.
   */
  chat(request: ChatRequest, options: { signal?: AbortSignal } = {}): Promise<ChatResult> {
    try {
      return this.ask(request, options.signal);
    } catch (error) {
      // a body that cannot be serialised (a cycle, a BigInt) fails the call as a rejection, never a throw
      return this.failedAtOnce(error);
    }
  }

  private ask(request: ChatRequest, signal: AbortSignal | undefined): Promise<ChatResult> {
    if (signal?.aborted) return this.failedAtOnce(this.abortedError(1));
    const { cache } = this;
    if (!cache) return new Call(this, request, signal, undefined, undefined, true).begin();
    // the canonical body is both the key's text and, unless streaming, the bytes sent: made bytes before
    // hashing, so that no string of it stays alive while the request waits for its answer
    const plainBody = Buffer.from(canonicalJson(requestBody(request, false)));
    const key = keyOfBody(this.endpoint, plainBody);
    // the cache's index is read once, at the first request: until then, for a hit, or with an identical
    // request in flight, the cache and the running request are asked; a miss is sent at once
    if (this.running.has(key) || cache.has(key) !== false) return this.fromCacheOrShared(request, signal, cache, key, plainBody).catch(this.countFailure);
    return this.send(request, signal, key, plainBody, true);
  }

  private failedAtOnce(error: unknown): Promise<never> {
    this.counters.failures++;
    return Promise.reject(error);
  }

  private readonly countFailure = (error: unknown): never => {
    this.counters.failures++;
    throw error;
  };

  /** Sends the request as the one in flight for `key` (identical requests made meanwhile share its answer). */
  private send(request: ChatRequest, signal: AbortSignal | undefined, key: string, plainBody: Buffer, countsFailure: boolean): Promise<ChatResult> {
    const call = new Call(this, request, signal, key, plainBody, countsFailure);
    // before it starts: a call that fails at once is no longer the one in flight
    this.running.set(key, call);
    return call.begin();
  }

  /** The cached answer, or the answer of an identical request in flight, or the request sent. */
  private async fromCacheOrShared(request: ChatRequest, signal: AbortSignal | undefined, cache: ResponseCache, key: string, plainBody: Buffer): Promise<ChatResult> {
    const hit = await cache.get(key);
    if (hit) {
      this.counters.cache_hits++;
      return toResult(hit, hit.raw, true, 0);
    }
    // an identical request already on its way is answered once: the cache would give its answer anyway
    const running = this.running.get(key);
    if (!running) return this.send(request, signal, key, plainBody, false);
    try {
      const shared = await running.promise;
      this.counters.cache_hits++;
      return toResult(shared, shared.raw, true, 0);
    } catch (error) {
      if (!(error instanceof LlmError && error.code === "aborted")) throw error;
      if (signal?.aborted) throw this.abortedError(1);
      return this.fromCacheOrShared(request, signal, cache, key, plainBody);
    }
  }

  /** The answer of a plain exchange (its status, headers and text), or the error it makes. */
  plainAnswer(exchange: TextResponse, attempt: number): Answer | LlmError {
    const status = exchange.statusCode;
    if (status < 200 || status >= 300) return this.httpError(status, exchange.header("retry-after"), exchange.text, attempt);
    const text = exchange.text;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return this.malformed(`invalid JSON body: ${JSON.stringify(text.slice(0, 80))}`, attempt, error);
    }
    try {
      // a reply with line breaks (between its tokens) is stored serialised again, on one line
      const reply = text.includes("\n") || text.includes("\r") ? JSON.stringify(json) : text;
      return { parsed: parseCompletion(json), raw: json, reply };
    } catch (error) {
      return this.malformed(shapeMessage(error), attempt, error);
    }
  }

  /** One streamed attempt's answer; fails with an LlmError, or an error of undici's that toLlmError maps. */
  async exchangeStream(body: Buffer, attempt: number, signal: AbortSignal | undefined): Promise<Answer> {
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

  abortedError(attempt: number): LlmError {
    return new LlmError("aborted", "aborted by the caller", this.context(attempt));
  }

  toLlmError(caught: unknown, attempt: number, signal: AbortSignal | undefined): LlmError {
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
    await Promise.allSettled([...this.running.values()].map((call) => call.promise));
  }
}

/**
 * One request: its attempts (a concurrency slot, the breaker's word, the exchange, retries with backoff),
 * the cache's write and the caller's promise, driven by undici's callbacks and the cache's through
 * methods every request shares. It is the request's exchange handler and its cache waiter too.
 */
class Call extends TextExchange implements PackWaiter {
  readonly promise: Promise<ChatResult>;
  private resolve!: (result: ChatResult) => void;
  private reject!: (error: unknown) => void;
  /** Bytes, kept for retries: undici would turn a string into bytes at every attempt, and a string kept alive for the whole exchange is copied by every young-generation collection while it waits. */
  private readonly body: Buffer;
  private readonly stream: boolean;
  private attempt = 0;
  private result: ChatResult | undefined;

  constructor(
    private readonly client: Client,
    request: ChatRequest,
    private readonly requestSignal: AbortSignal | undefined,
    /** The cache key, when the answer is to be cached. */
    private readonly key: string | undefined,
    plainBody: Buffer | undefined,
    /** Whether a failure counts in the client's stats here (else the caller counts it). */
    private readonly countsFailure: boolean,
  ) {
    super();
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.stream = request.stream ?? client.options.stream ?? false;
    this.body = !this.stream && plainBody ? plainBody : Buffer.from(bodyJson(requestBody(request, this.stream)));
  }

  /** Sends the first attempt; the promise settles with the call. */
  begin(): Promise<ChatResult> {
    this.next();
    return this.promise;
  }

  /** The next attempt, once a concurrency slot is free. */
  private next(): void {
    this.attempt++;
    const { limiter } = this.client;
    if (limiter.tryAcquire()) this.start();
    else
      limiter.acquire(this.requestSignal).then(
        () => this.start(),
        () => this.fail(this.client.abortedError(this.attempt)),
      );
  }

  /** Holding a slot: sends the attempt, unless aborted or the breaker is open. */
  private start(): void {
    const { client, requestSignal: signal } = this;
    if (signal?.aborted) {
      client.limiter.release();
      this.fail(client.abortedError(this.attempt));
      return;
    }
    if (client.breaker && !client.breaker.allow()) {
      client.limiter.release();
      const seconds = Math.ceil(client.breaker.remainingMs() / 1000);
      this.fail(new LlmError("circuit-open", `circuit breaker open after repeated server failures; next probe in ${seconds}s`, { url: client.shownUrl, attempt: this.attempt }));
      return;
    }
    client.counters.requests++;
    if (this.stream) {
      client.exchangeStream(this.body, this.attempt, signal).then(
        (answer) => this.succeeded(answer),
        (error: unknown) => this.attemptFailed(error),
      );
    } else {
      this.send(client.pool, { path: client.path, headers: client.headers, body: this.body, signal, timeoutMs: client.timeoutMs, maxBytes: client.maxResponseBytes });
    }
  }

  protected answered(): void {
    let answer: Answer | LlmError;
    try {
      answer = this.client.plainAnswer(this, this.attempt);
    } catch (error) {
      // not the server's fault: a bug of acc's, failed as any other failure of the exchange
      this.attemptFailed(error);
      return;
    }
    if (answer instanceof LlmError) this.attemptFailed(answer);
    else this.succeeded(answer);
  }

  protected failed(error: Error): void {
    this.attemptFailed(error);
  }

  private succeeded(answer: Answer): void {
    const { client } = this;
    client.limiter.release();
    client.breaker?.success();
    const result = toResult(answer.parsed, answer.raw, false, this.attempt);
    client.counters.prompt_tokens += result.usage?.prompt_tokens ?? 0;
    client.counters.completion_tokens += result.usage?.completion_tokens ?? 0;
    if (!client.cache || this.key === undefined) {
      this.settled();
      this.resolve(result);
      return;
    }
    // the answer reaches the caller once it is on disk (written), so an answer used survives a crash
    this.result = result;
    try {
      client.cache.add(this.key, answer.reply === undefined ? { result: cacheEntry(result) } : { reply: answer.reply }, this);
    } catch (error) {
      this.fail(error);
    }
  }

  written(): void {
    this.settled();
    this.resolve(this.result!);
  }

  notWritten(error: unknown): void {
    this.fail(error);
  }

  /** An attempt failed: retried per policy, or the call fails. */
  private attemptFailed(caught: unknown): void {
    const { client, attempt } = this;
    const error = client.toLlmError(caught, attempt, this.requestSignal);
    client.limiter.release();
    if (isServerFailure(error)) client.breaker?.failure();
    else client.breaker?.neutral();
    if (!isRetryable(error) || attempt > client.maxRetries) {
      this.fail(error);
      return;
    }
    const delayMs = retryDelay(attempt, client.backoff, error.retryAfterMs, Math.random);
    client.counters.retries++;
    try {
      client.options.onRetry?.({ attempt, delayMs, error });
    } catch (thrown) {
      this.fail(thrown);
      return;
    }
    sleep(delayMs, undefined, { signal: this.requestSignal }).then(
      () => this.next(),
      () => this.fail(client.abortedError(attempt)),
    );
  }

  private fail(error: unknown): void {
    this.settled();
    if (this.countsFailure) this.client.counters.failures++;
    this.reject(error);
  }

  /** No longer the request in flight for its key. */
  private settled(): void {
    if (this.key !== undefined && this.client.running.get(this.key) === this) this.client.running.delete(this.key);
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

import type { Dispatcher } from "undici";
import { AccError } from "../errors/acc-error.js";
import type { ErrorCode } from "../errors/codes.js";

/** An error answer (not 2xx) is kept only up to this many bytes: only its message is used. */
export const ERROR_BODY_BYTES = 64 * 1024;

/** The server's answer passed the client's maxResponseBytes; acc stopped reading it. */
export class ResponseTooLarge extends AccError {
  protected override defaultCode(): ErrorCode {
    return "malformed";
  }
  constructor(maxBytes: number) {
    super(`the server's answer passed ${maxBytes} bytes (maxResponseBytes); acc stopped reading it (a broken or hostile server)`);
  }
}

/** A response read whole. `header` looks a response header up by its lower-case name. */
export interface TextResponse {
  statusCode: number;
  header(name: string): string | undefined;
  text: string;
}

export interface PostOptions {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  signal: AbortSignal | undefined;
  /** undici's own timers: for the head, and for every silence in the body. */
  timeoutMs: number;
  /** Past this many bytes of the answer, the request is aborted with ResponseTooLarge. */
  maxBytes: number;
}

/**
 * POSTs a body and reads the whole answer as text, through undici's dispatcher and a handler that only
 * gathers the bytes: no response stream, async resource or header object per request, which on a busy
 * client cost more than the rest of an exchange. Failures are undici's errors (codes
 * UND_ERR_HEADERS_TIMEOUT, UND_ERR_BODY_TIMEOUT, …), ResponseTooLarge, or the signal's reason when it
 * aborted the request. An error answer's text is its first ERROR_BODY_BYTES.
 *
 * One exchange's handler and, once complete, its response: a single object per request (its methods are
 * shared), where closures would make one object per callback. A subclass says what follows: `answered`
 * once the whole answer is in `statusCode`, `header` and `text`, or `failed`. `send` may be called again
 * once either has run (a retry).
 */
export abstract class TextExchange implements Dispatcher.DispatchHandler, TextResponse {
  statusCode = 0;
  text = "";
  private rawHeaders: Buffer[] = [];
  private chunks: Buffer[] = [];
  private size = 0;
  private maxBytes = 0;
  private signal: AbortSignal | undefined;
  private abort: ((reason?: Error) => void) | undefined;

  /** The answer is complete. */
  protected abstract answered(): void;
  /** The request failed (undici's error, ResponseTooLarge, or the signal's reason). */
  protected abstract failed(error: Error): void;

  send(dispatcher: Dispatcher, options: PostOptions): void {
    this.statusCode = 0;
    this.text = "";
    this.rawHeaders = [];
    this.chunks = [];
    this.size = 0;
    this.maxBytes = options.maxBytes;
    this.signal = options.signal;
    this.abort = undefined;
    if (this.signal) watch(this.signal, this);
    try {
      dispatcher.dispatch(
        { method: "POST", path: options.path, headers: options.headers, body: options.body, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs },
        this,
      );
    } catch (error) {
      this.onError(error as Error);
    }
  }

  /** The signal aborted while the request is out. */
  cancel(reason: Error): void {
    this.abort?.(reason);
  }

  header(name: string): string | undefined {
    return headerValue(this.rawHeaders, name);
  }

  onConnect(abortRequest: (reason?: Error) => void): void {
    if (this.signal?.aborted) abortRequest(this.signal.reason as Error);
    else this.abort = abortRequest;
  }

  onHeaders(status: number, headers: Buffer[]): boolean {
    this.statusCode = status;
    this.rawHeaders = headers;
    return true;
  }

  onData(chunk: Buffer): boolean {
    const before = this.size;
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      this.abort?.(new ResponseTooLarge(this.maxBytes));
      return false;
    }
    if (this.statusCode >= 200 && this.statusCode < 300) this.chunks.push(chunk);
    else if (before < ERROR_BODY_BYTES) this.chunks.push(chunk.subarray(0, ERROR_BODY_BYTES - before));
    return true;
  }

  onComplete(): void {
    if (this.signal) unwatch(this.signal, this);
    const chunks = this.chunks;
    this.text = chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8");
    this.chunks = [];
    this.answered();
  }

  onError(error: Error): void {
    if (this.signal) unwatch(this.signal, this);
    this.chunks = [];
    this.failed(error);
  }
}

/** Requests waiting on each signal: one abort listener per signal (runs share one), not one per request. */
const watching = new WeakMap<AbortSignal, Set<TextExchange>>();

/** Cancels `exchange` when `signal` aborts, until `unwatch`. */
function watch(signal: AbortSignal, exchange: TextExchange): void {
  let exchanges = watching.get(signal);
  if (!exchanges) {
    const set = new Set<TextExchange>();
    watching.set(signal, set);
    signal.addEventListener("abort", () => {
      for (const waiting of set) waiting.cancel(signal.reason as Error);
      set.clear();
    }, { once: true });
    exchanges = set;
  }
  exchanges.add(exchange);
}

function unwatch(signal: AbortSignal, exchange: TextExchange): void {
  watching.get(signal)?.delete(exchange);
}

/** The first value of a header in undici's raw [name, value, name, value, …] list. */
function headerValue(raw: readonly Buffer[], name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toString("latin1").toLowerCase() === name) return raw[i + 1]!.toString("latin1");
  return undefined;
}

/** The first ERROR_BODY_BYTES of an error answer's body, read to its end (or past `maxBytes`: ResponseTooLarge). */
export async function errorText(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<string> {
  const kept: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < ERROR_BODY_BYTES) kept.push(chunk.subarray(0, ERROR_BODY_BYTES - size));
    size += chunk.length;
    if (size > maxBytes) throw new ResponseTooLarge(maxBytes);
  }
  return Buffer.concat(kept).toString("utf8");
}

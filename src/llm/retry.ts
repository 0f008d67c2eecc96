import type { LlmError } from "./types.js";

export interface Backoff {
  /** Delay ceiling of the first retry; doubles each retry. */
  baseMs: number;
  /** Largest delay ceiling. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 500, maxMs: 30_000 };

/** Longest Retry-After we honour; a server asking for more gets this. */
export const MAX_RETRY_AFTER_MS = 300_000;

/**
 * Whether a failed attempt is worth another: 408, 409, 429 and 5xx, timeouts, connection failures and
 * malformed bodies (truncated or garbled answers are usually transient). Other 4xx mean the request
 * itself is wrong (a prompt longer than the context window above all); "aborted" and "circuit-open" are
 * decisions, not failures.
 */
export function isRetryable(error: LlmError): boolean {
  switch (error.code) {
    case "http":
      return error.status === undefined || error.status === 408 || error.status === 409 || error.status === 429 || error.status >= 500;
    case "timeout":
    case "network":
    case "malformed":
      return true;
    case "context-length":
    case "aborted":
    case "circuit-open":
      return false;
  }
}

/** Whether a failed attempt says the server is unwell (counts toward the circuit breaker); a 429 only says "slower". */
export function isServerFailure(error: LlmError): boolean {
  return isRetryable(error) && error.status !== 429;
}

/**
 * Exponential backoff with full jitter: uniform in [0, min(maxMs, baseMs · 2^(retry−1))), but never
 * shorter than the server's Retry-After. `random` is Math.random in the client: jitter only spreads
 * retries in time and never reaches an output, and a seeded jitter would make parallel runs retry in step.
 */
export function retryDelay(retry: number, backoff: Backoff, retryAfterMs: number | undefined, random: () => number): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (retry - 1));
  const jittered = Math.floor(random() * ceiling);
  return retryAfterMs === undefined ? jittered : Math.max(jittered, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}

/** Retry-After as delta-seconds or an HTTP-date, in milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, now: number): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

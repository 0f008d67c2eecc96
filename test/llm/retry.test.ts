import assert from "node:assert/strict";
import { test } from "node:test";
import { isRetryable, isServerFailure, MAX_RETRY_AFTER_MS, parseRetryAfter, retryDelay } from "../../src/llm/retry.js";
import { LlmError, type LlmErrorCode } from "../../src/llm/types.js";

const error = (code: LlmErrorCode, status?: number) => new LlmError(code, "x", { url: "http://h/v1/chat/completions", attempt: 1, status });

test("retry policy: 408, 409, 429, 5xx, timeouts, network and malformed are retried; other 4xx, aborts and an open circuit are not", () => {
  for (const status of [408, 409, 429, 500, 502, 503, 504]) assert.equal(isRetryable(error("http", status)), true, `${status}`);
  for (const status of [400, 401, 403, 404, 413, 422]) assert.equal(isRetryable(error("http", status)), false, `${status}`);
  for (const code of ["timeout", "network", "malformed"] as const) assert.equal(isRetryable(error(code)), true, code);
  for (const code of ["aborted", "circuit-open"] as const) assert.equal(isRetryable(error(code)), false, code);
  assert.equal(isServerFailure(error("http", 429)), false, "a 429 says slow down, not broken");
  assert.equal(isServerFailure(error("http", 503)), true);
  assert.equal(isServerFailure(error("http", 400)), false);
});

test("Retry-After: delta seconds (fractional too) and HTTP-dates, relative to now; garbage is ignored", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("1", now), 1000);
  assert.equal(parseRetryAfter(" 120 ", now), 120_000);
  assert.equal(parseRetryAfter("0.5", now), 500);
  assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:07 GMT", now), 7000);
  assert.equal(parseRetryAfter("Wed, 31 Dec 2025 23:59:00 GMT", now), 0, "a date in the past means now");
  assert.equal(parseRetryAfter("soon", now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
});

test("backoff: full jitter under a doubling ceiling capped at maxMs, never below Retry-After (itself capped)", () => {
  const backoff = { baseMs: 100, maxMs: 1000 };
  assert.equal(retryDelay(1, backoff, undefined, () => 0), 0);
  assert.equal(retryDelay(1, backoff, undefined, () => 0.999999), 99);
  assert.equal(retryDelay(3, backoff, undefined, () => 0.5), 200);
  assert.equal(retryDelay(10, backoff, undefined, () => 0.5), 500, "ceiling capped at maxMs");
  assert.equal(retryDelay(1, backoff, 1500, () => 0.5), 1500);
  assert.equal(retryDelay(5, backoff, 10, () => 0.9), 900, "a short Retry-After does not shorten the backoff");
  assert.equal(retryDelay(1, backoff, 10 * MAX_RETRY_AFTER_MS, () => 0), MAX_RETRY_AFTER_MS);
  for (let retry = 1; retry <= 12; retry++) {
    const delay = retryDelay(retry, backoff, undefined, Math.random);
    assert.ok(delay >= 0 && delay < Math.min(1000, 100 * 2 ** (retry - 1)), `retry ${retry}: ${delay}`);
  }
});

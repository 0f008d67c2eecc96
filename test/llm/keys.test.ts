import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadApiKey, redact, redactError } from "../../src/llm/keys.js";
import { tempDir } from "../helpers/collect.js";

const KEY = "sk-test-0123456789abcdef";

test("API key from a value, an environment variable or a file (whitespace trimmed); none gives undefined", () => {
  const file = join(tempDir(), "key");
  writeFileSync(file, `  ${KEY}\n`);
  assert.equal(loadApiKey({ apiKey: KEY }), KEY);
  assert.equal(loadApiKey({ apiKeyEnv: "ACC_KEY" }, { ACC_KEY: `${KEY}\n` }), KEY);
  assert.equal(loadApiKey({ apiKeyFile: file }), KEY);
  assert.equal(loadApiKey({}), undefined);
});

test("key errors name the source and never the key", () => {
  const dir = tempDir();
  const empty = join(dir, "empty");
  writeFileSync(empty, " \n");
  assert.throws(() => loadApiKey({ apiKeyEnv: "ACC_MISSING" }, {}), /environment variable ACC_MISSING is not set/);
  assert.throws(() => loadApiKey({ apiKeyFile: join(dir, "nope") }), /cannot read API key file .*nope: ENOENT/);
  assert.throws(() => loadApiKey({ apiKeyFile: empty }), /API key file .*empty is empty/);
  assert.throws(
    () => loadApiKey({ apiKey: KEY, apiKeyEnv: "ACC_KEY" }, { ACC_KEY: KEY }),
    (e: Error) => /one way only/.test(e.message) && !e.message.includes(KEY),
  );
  assert.equal(redact(`Incorrect API key provided: ${KEY}. Bearer ${KEY}`, KEY), "Incorrect API key provided: [redacted]. Bearer [redacted]");
  assert.equal(redact("text", undefined), "text");
});

test("redactError takes the key out of an error and every cause below it, and keeps an error whose chain never held it", () => {
  const root = new TypeError(`socket closed after ${KEY}`);
  const middle = new Error("fetch failed", { cause: root });
  const top = new RangeError("request failed", { cause: middle });
  const redacted = redactError(top, KEY) as Error;
  assert.ok(redacted instanceof RangeError);
  const chain: Error[] = [];
  for (let e: unknown = redacted; e instanceof Error; e = e.cause) chain.push(e);
  assert.deepEqual(chain.map((e) => e.message), ["request failed", "fetch failed", "socket closed after [redacted]"]);
  assert.ok(chain[2] instanceof TypeError);
  assert.ok(!chain.some((e) => `${e.message}${e.stack}`.includes(KEY)));
  const clean = new Error("fetch failed", { cause: new Error("ECONNRESET") });
  assert.equal(redactError(clean, KEY), clean);
  assert.equal(redactError(top, undefined), top);
});

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createClient } from "../../src/llm/client.js";
import { DEFAULT_RUBRIC, parseJudgeVerdict, verifyJudge } from "../../src/verify/judge.js";
import { startOpenAIServer } from "../../src/testing/openai-server.js";
import { tempDir } from "../helpers/collect.js";

const cleanups: (() => Promise<void>)[] = [];
after(() => Promise.all(cleanups.map((c) => c())));

test("judge: the verdict line is read from the end, in its usual spellings; anything else is no verdict", () => {
  assert.equal(parseJudgeVerdict("It names the same comet.\nVERDICT: PASS"), "pass");
  assert.equal(parseJudgeVerdict("The rubric says VERDICT: PASS only if… here it differs.\n**Verdict:** fail"), "fail");
  assert.equal(parseJudgeVerdict("verdict - Correct"), "pass");
  assert.equal(parseJudgeVerdict('{"reason": "same", "verdict": "incorrect"}'), "fail");
  assert.equal(parseJudgeVerdict("I think it passes."), undefined);
});

test("judge: asks through the client with the rubric, deterministic settings and the case; a rerun reads the cache", async () => {
  const server = await startOpenAIServer((request) => {
    const user = (request.body as { messages: { content: string }[] }).messages[1]!.content;
    return { type: "answer", content: user.includes("Answer to grade:\n67P") ? "Same comet.\nVERDICT: PASS" : "Another comet.\nVERDICT: FAIL" };
  });
  const cacheDir = tempDir();
  const client = createClient({ endpoint: server.url, cacheDir });
  cleanups.push(() => client.close(), () => server.close());
  const item = { question: "Which comet did Philae land on?", answer: "67P", gold: "Comet 67P/Churyumov–Gerasimenko" };
  const verdict = await verifyJudge({ client, model: "judge", rubric: "Be strict." }, item);
  assert.deepEqual([verdict.pass, verdict.reason], [true, "judge-pass"]);
  assert.match(verdict.detail, /the judge accepted it: "Same comet\."/);
  const body = server.requests[0]!.body as { model: string; temperature: number; seed: number; messages: { role: string; content: string }[] };
  assert.deepEqual([body.model, body.temperature, body.seed], ["judge", 0, 0]);
  assert.match(body.messages[0]!.content, /^Be strict\.\n\n.*VERDICT: PASS/s);
  assert.equal(body.messages[1]!.content, "Question:\nWhich comet did Philae land on?\n\nReference answer:\nComet 67P/Churyumov–Gerasimenko\n\nAnswer to grade:\n67P");
  const rejected = await verifyJudge({ client, model: "judge" }, { ...item, answer: "Halley" });
  assert.deepEqual([rejected.pass, rejected.reason], [false, "judge-fail"]);
  assert.ok((server.requests[1]!.body as { messages: { content: string }[] }).messages[0]!.content.startsWith(DEFAULT_RUBRIC));
  const again = createClient({ endpoint: server.url, cacheDir });
  cleanups.push(() => again.close());
  assert.equal((await verifyJudge({ client: again, model: "judge", rubric: "Be strict." }, item)).pass, true);
  assert.equal(server.requests.length, 2, "the repeated judgement came from the cache");
});

test("judge: a reply without a verdict line fails as judge-unparsable", async () => {
  const server = await startOpenAIServer(() => ({ type: "answer", content: "Hard to say." }));
  const client = createClient({ endpoint: server.url });
  cleanups.push(() => client.close(), () => server.close());
  const verdict = await verifyJudge({ client, model: "judge" }, { question: "q", answer: "a", gold: "g" });
  assert.deepEqual([verdict.pass, verdict.reason, verdict.detail], [false, "judge-unparsable", 'the judge gave no verdict line: "Hard to say."']);
});

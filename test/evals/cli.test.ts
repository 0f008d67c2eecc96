import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadItems } from "../../src/evals/data.js";
import { generateGraphwalks } from "../../src/evals/generate-graphwalks.js";
import { generateMrcr } from "../../src/evals/generate-mrcr.js";
import { graphwalksEval } from "../../src/evals/graphwalks.js";
import { mrcrEval } from "../../src/evals/mrcr.js";
import type { EvalSummary } from "../../src/evals/report.js";
import { o200k } from "../../src/evals/tokens.js";
import { startOpenAIServer } from "../../src/testing/openai-server.js";
import { runCli, tempDir } from "../helpers/collect.js";

const tokenizer = await o200k();

const MRCR_SPEC = "generated:sizes=5000,per-size=2,needles=2+4,seed=3";
const mrcrItems = [...generateMrcr({ tokenizer, seed: "3", tokens: [5000], perSize: 2, needles: [2, 4] })];

test("acc eval mrcr on generated data against an endpoint: table on stderr, results, summary and report written", async () => {
  const golds = new Map(mrcrItems.map((item) => [item.messages.at(-1)!.content, item.answer]));
  const server = await startOpenAIServer((request) => {
    const messages = (request.body as { messages: { content: string }[] }).messages;
    return { type: "answer", content: golds.get(messages.at(-1)!.content)! };
  });
  try {
    const out = join(tempDir(), "run");
    process.env["ACC_EVAL_TEST_KEY"] = "sk-test-secret-123";
    const args = ["eval", "mrcr", "--data", MRCR_SPEC, "--endpoint", server.url, "--model", "m", "-o", out, "--no-cache", "--api-key-env", "ACC_EVAL_TEST_KEY", "-q"];
    const { code, stdout, stderr } = await runCli(args);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, "", "the summary goes to stderr; stdout carries data only");
    assert.match(stderr, /mrcr · m: 4 of 4 items graded/);
    assert.match(stderr, /8k\s+100\.0 \(2\)\s+100\.0 \(2\)\s+100\.0 \(4\)/);
    assert.match(stderr, /wrote .*results\.jsonl, .*summary\.json, .*report\.html/);
    assert.equal(server.requests.length, 4);
    assert.equal(server.requests[0]!.headers.authorization, "Bearer sk-test-secret-123");
    for (const name of readdirSync(out)) assert.ok(!readFileSync(join(out, name), "utf8").includes("sk-test-secret"), `${name} holds no key`);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as EvalSummary;
    assert.equal(summary.overall.mean, 1);
  } finally {
    delete process.env["ACC_EVAL_TEST_KEY"];
    await server.close();
  }
});

test("--save-data writes the items; --responses grades answers a user has, counting missing and unknown ids", async () => {
  const dir = tempDir();
  const saved = join(dir, "items.jsonl");
  const save = await runCli(["eval", "mrcr", "--data", MRCR_SPEC, "--save-data", saved]);
  assert.equal(save.code, 0, save.stderr);
  const reloaded: unknown[] = [];
  for await (const item of loadItems(mrcrEval(), [saved])) reloaded.push(item);
  assert.deepEqual(reloaded, mrcrItems);

  const responses = join(dir, "responses.jsonl");
  const lines = [
    { id: mrcrItems[0]!.id, text: mrcrItems[0]!.answer },
    { id: mrcrItems[1]!.id, text: ` ${mrcrItems[1]!.answer}` },
    { id: mrcrItems[3]!.id, text: mrcrItems[3]!.answer.slice(0, 200) },
    { id: "not-an-item", text: "x" },
  ];
  writeFileSync(responses, lines.map((line) => JSON.stringify(line)).join("\n"));
  const out = join(dir, "graded");
  const { code, stdout, stderr } = await runCli(["eval", "mrcr", "--data", saved, "--responses", responses, "-o", out, "-q"]);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "");
  assert.match(stderr, /mrcr: 3 of 4 items graded, 1 without a response/);
  assert.match(stderr, /warning: 1 responses have ids that are not items of the data/);
  const results = readFileSync(join(out, "results.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(results.map((r) => [r.id, r.detail.prefix_ok]), [[mrcrItems[0]!.id, true], [mrcrItems[1]!.id, false], [mrcrItems[3]!.id, true]]);
  assert.equal(results[1].score, 0);
});

test("GraphWalks modes: perfect answers score 100 with bracket contents when an empty gold may score 1, less otherwise", async () => {
  const items = [...generateGraphwalks({ seed: 1, promptChars: [2000], perSize: 3 })];
  const gold = new Map(items.map((item) => [item.prompt, item.answer_nodes]));
  const server = await startOpenAIServer((request) => {
    const prompt = (request.body as { messages: { content: string }[] }).messages[0]!.content;
    return { type: "answer", content: `Final Answer: [${gold.get(prompt)!.join(", ")}]` };
  });
  try {
    const cache = join(tempDir(), "cache");
    const run = async (parse: string, emptyGold: string) => {
      const out = join(tempDir(), parse);
      const args = ["--endpoint", server.url, "--model", "m", "-o", out, "--cache", cache, "--parse", parse, "--empty-gold", emptyGold, "-q"];
      const result = await runCli(["eval", "graphwalks", "--data", "generated:sizes=2000,per-size=3,seed=1", ...args]);
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as EvalSummary;
    };
    const emptyGolds = items.filter((item) => item.answer_nodes.length === 0).length;
    assert.ok(emptyGolds > 0, "the small graphs include an empty gold set");
    const brackets = await run("brackets", "both-empty-one");
    const card = await run("brackets", "zero");
    const literal = await run("card-literal", "zero");
    assert.equal(server.requests.length, items.length, "later runs are answered from the cache");
    assert.equal(brackets.overall.mean, 1);
    assert.equal(card.overall.mean, (items.length - emptyGolds) / items.length);
    assert.ok(literal.overall.mean! < card.overall.mean!);
    assert.deepEqual(literal.settings, { parse: "card-literal", empty_gold: "zero" });
    assert.deepEqual(brackets.tables.map((t) => t.title.split(":")[0]), ["Mean score by context length (o200k_base tokens)", "Official split"]);
  } finally {
    await server.close();
  }
});

test("usage errors exit 2 with one clear line; bad data exits 1 naming the file and line", async () => {
  const usage: [string[], RegExp][] = [
    [["eval", "mrcr", "--data", MRCR_SPEC], /give --endpoint and --model to run the eval, --responses/],
    [["eval", "mrcr", "--data", MRCR_SPEC, "--endpoint", "http://127.0.0.1:9/v1"], /--endpoint needs --model/],
    [["eval", "mrcr", "--data", MRCR_SPEC, "--endpoint", "http://127.0.0.1:9/v1", "--responses", "r.jsonl"], /option '--responses <file>' cannot be used with option '--endpoint <url>'/],
    [["eval", "mrcr", "--data", "generated:types=bfs", "--save-data", "x.jsonl"], /generated mrcr data takes seed, sizes, per-size, needles, source; got "types"/],
    [["eval", "mrcr", "--data", "generated:sizes=8q", "--save-data", "x.jsonl"], /expected a positive integer \(8k and 1M allowed\), got "8q"/],
    [["eval", "mrcr", "--data", MRCR_SPEC, "--save-data", "x.jsonl", "--parse", "card-literal"], /--parse and --empty-gold apply to graphwalks only/],
    [["eval", "ruler", "--data", MRCR_SPEC], /<eval> expects one of mrcr, graphwalks/],
    [["eval", "mrcr", "--data", MRCR_SPEC, "--save-data", "x.jsonl", "--limit", "0"], /--limit expects a positive integer/],
    [["eval", "mrcr", "--data", MRCR_SPEC, "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--api-key-env", "ACC_UNSET_VARIABLE_X"], /environment variable ACC_UNSET_VARIABLE_X is not set/],
  ];
  for (const [args, message] of usage) {
    const { code, stderr } = await runCli(args);
    assert.equal(code, 2, args.join(" "));
    assert.match(stderr, message);
  }
  const bad = join(tempDir(), "bad.jsonl");
  writeFileSync(bad, `${JSON.stringify(graphwalksEval().toRow([...generateGraphwalks({ seed: 1, promptChars: [2000], perSize: 1 })][0]!))}\n{"prompt": "p", "answer_nodes": "a", "prompt_chars": 1, "problem_type": "bfs"}\n`);
  const out = join(tempDir(), "out");
  const responses = join(tempDir(), "responses.jsonl");
  writeFileSync(responses, '{"id": "bad.jsonl#0", "text": "Final Answer: []"}\n');
  const { code, stderr } = await runCli(["eval", "graphwalks", "--data", bad, "--responses", responses, "-o", out]);
  assert.equal(code, 1);
  assert.equal(stderr.trim(), `acc: ${bad}: line 2: column answer_nodes must be a list of strings, got string "a"`);
  assert.equal(existsSync(join(out, "summary.json")), false);
});

test("an eval whose every prompt the server refuses as too long exits 1 with one line naming the context window", async () => {
  const groqRefusal = JSON.stringify({ error: { message: "Please reduce the length of the messages or completion.", type: "invalid_request_error", param: "messages", code: "context_length_exceeded" } });
  const server = await startOpenAIServer(() => ({ type: "raw", status: 400, body: groqRefusal }));
  try {
    const out = join(tempDir(), "run");
    const { code, stderr } = await runCli(["eval", "mrcr", "--data", MRCR_SPEC, "--endpoint", server.url, "--model", "m", "-o", out, "--no-cache", "-q"]);
    assert.equal(code, 1);
    // the table, the files written (failures.jsonl names the refused items), then the one error line
    assert.match(stderr, /\nwrote .*failures\.jsonl\nacc: no item graded: the server refused all 4 prompts as longer than the model's context window; serve the model with a longer context window .*\n$/);
    assert.equal(server.requests.length, 4, "refusals are not retried");
  } finally {
    await server.close();
  }
});

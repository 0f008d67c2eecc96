import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Sample } from "../../src/records/sample.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { CorpusBuilder } from "./corpus.js";

const b = new CorpusBuilder(31);

/** Search rows whose opened page carries a key and an e-mail address. */
function rows(n: number): { text: string; secrets: string[] } {
  const secrets: string[] = [];
  const lines = Array.from({ length: n }, (_, i) => {
    const key = b.stripeKey();
    const email = b.email();
    secrets.push(key, email);
    const page = `${Array.from({ length: 20 }, (_, j) => `Paragraph ${j} about topic ${i}.`).join("\n")}\nContact ${email}; billing key ${key}.\n`;
    const call = (id: string, name: string, args: unknown) => ({ id, type: "function", function: { name, arguments: JSON.stringify(args) } });
    return JSON.stringify({
      messages: [
        { role: "user", content: `Who is the contact for topic ${i}?` },
        { role: "assistant", content: null, tool_calls: [call("a", "web_search", { query: `topic ${i}` })] },
        { role: "tool", tool_call_id: "a", content: JSON.stringify({ organic: [{ title: `Topic ${i}`, link: `https://site.example/${i}`, snippet: "About the topic." }] }) },
        { role: "assistant", content: null, tool_calls: [call("b", "open_url", { url: `https://site.example/${i}` })] },
        { role: "tool", tool_call_id: "b", content: page },
        { role: "assistant", content: `The contact is listed on the page for topic ${i}.` },
      ],
    });
  });
  return { text: `${lines.join("\n")}\n`, secrets };
}

test("acc compile redacts by default (the samples hold placeholders, the summary counts by type); --redact off keeps the text", async () => {
  const dir = tempDir();
  const input = join(dir, "search.jsonl");
  const { text, secrets } = rows(4);
  writeFileSync(input, text);
  const common = ["--length", "search=fixed:1200", "--workers", "1", "-q"];

  const on = await runCli(["compile", input, "-o", join(dir, "on"), ...common]);
  assert.equal(on.code, 0, on.stderr);
  const samples = readFileSync(join(dir, "on", "samples.jsonl"), "utf8");
  const parsed = samples.trim().split("\n").map((line) => Sample.parse(JSON.parse(line)));
  assert.equal(parsed.length, 4);
  for (const secret of secrets) assert.ok(!samples.includes(secret), `${secret} reached a sample`);
  assert.ok(samples.includes("<SECRET:stripe-key>") && samples.includes("<SECRET:email>"));
  assert.match(on.stderr, /stripe-key\s+4/);
  assert.match(on.stderr, /email\s+4/);
  assert.match(on.stderr, /secrets redacted: 8 in 4 trajectories/);
  const stats = JSON.parse(readFileSync(join(dir, "on", "stats.json"), "utf8"));
  assert.deepEqual(stats.secrets, { "stripe-key": 4, email: 4 });

  const off = await runCli(["compile", input, "-o", join(dir, "off"), ...common, "--redact", "off"]);
  assert.equal(off.code, 0, off.stderr);
  assert.ok(readFileSync(join(dir, "off", "samples.jsonl"), "utf8").includes(secrets[0]!));
  assert.doesNotMatch(off.stderr, /secrets/);
});

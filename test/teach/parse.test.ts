import assert from "node:assert/strict";
import { test } from "node:test";
import { parseTeacherReply, type TeacherReply } from "../../src/teach/parse.js";
import { mapFinishReason } from "../../src/llm/finish-reason.js";

const reply = (content: string | null, reasoning: string | null = null, finishReason: string | null = "stop"): TeacherReply => ({ content, reasoning, finish: mapFinishReason(finishReason) });

test("teach parse: the paragraph after the last 'Final answer:' is the answer; the text before it joins the reasoning", () => {
  const parsed = parseTeacherReply(reply("The page gives the date.\nA first guess, Final answer: no.\n\n**Final Answer:** 12 November 2014\n\nHope this helps!"), "search");
  assert.deepEqual(parsed, { ok: true, candidate: { answer: "12 November 2014" }, reasoning: "The page gives the date.\nA first guess, Final answer: no." });
  const withField = parseTeacherReply(reply("Checked twice.\nFinal answer: Lyon", "Lyon has 1116."), "search");
  assert.deepEqual(withField, { ok: true, candidate: { answer: "Lyon" }, reasoning: "Lyon has 1116.\n\nChecked twice." });
  const multiLine = parseTeacherReply(reply("Final answer:\nLyon\nPorto\n\nThat is all."), "sql");
  assert.equal(multiLine.ok && multiLine.candidate.answer, "Lyon\nPorto");
  const markdown = parseTeacherReply(reply("### Final answer: `42`"), "generic");
  assert.equal(markdown.ok && markdown.candidate.answer, "42");
});

test("teach parse: <answer> tags and \\boxed{} (nested braces) when there is no Final answer line", () => {
  const tag = parseTeacherReply(reply("thinking… <answer> Porto </answer> done"), "search");
  assert.deepEqual(tag, { ok: true, candidate: { answer: "Porto" }, reasoning: "thinking…" });
  const boxed = parseTeacherReply(reply("So the value is \\boxed{\\frac{1}{2}}."), "generic");
  assert.equal(boxed.ok && boxed.candidate.answer, "\\frac{1}{2}");
});

test("teach parse: with reasoning in its own channel, bare content is the answer; without it, there is no final answer", () => {
  assert.deepEqual(parseTeacherReply(reply("Jørn Utzon", "The page names him."), "search"), {
    ok: true,
    candidate: { answer: "Jørn Utzon" },
    reasoning: "The page names him.",
  });
  assert.deepEqual(parseTeacherReply(reply("Jørn Utzon, I believe."), "search"), {
    ok: false,
    reason: "no-final-answer",
    detail: "no `Final answer:` line, <answer> tag or \\boxed{} in the reply",
  });
  assert.deepEqual(parseTeacherReply(reply(null, "All reasoning, no answer."), "search"), { ok: false, reason: "no-final-answer", detail: "reasoning but no content" });
  assert.deepEqual(parseTeacherReply(reply("Final answer:   "), "search"), {
    ok: false,
    reason: "no-final-answer",
    detail: "no `Final answer:` line, <answer> tag or \\boxed{} in the reply",
  });
  assert.equal(parseTeacherReply(reply("Final answer: Lyon", null, "max_tokens"), "search").ok, false, "a server's own word for the token limit is a cut-off too");
  assert.deepEqual(parseTeacherReply(reply("Final answer: Lyon", null, "length"), "search"), {
    ok: false,
    reason: "truncated",
    detail: "the reply was cut off at max_tokens (finish_reason length)",
  });
});

test("teach parse: SQL answers that are a query also give the query; a query in the reasoning does not", () => {
  const query = parseTeacherReply(reply("I join sales to stores.\nFinal answer:\n```sql\nSELECT city FROM stores\n\nORDER BY id\n```"), "sql");
  assert.deepEqual(query.ok && query.candidate, { answer: "```sql\nSELECT city FROM stores\n\nORDER BY id\n```", sql: "SELECT city FROM stores\n\nORDER BY id" });
  const bare = parseTeacherReply(reply("Final answer: SELECT 1"), "sql");
  assert.equal(bare.ok && bare.candidate.sql, "SELECT 1");
  const value = parseTeacherReply(reply("```sql\nSELECT max(x) FROM t\n```\ngives 7.\nFinal answer: 7"), "sql");
  assert.deepEqual(value.ok && value.candidate, { answer: "7" });
});

test("teach parse: SWE answers are the last unified diff, fenced or raw; prose before it is reasoning", () => {
  const diff = "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n";
  const fenced = parseTeacherReply(reply(`The bug is a.\n\`\`\`diff\n${diff}\`\`\`\nThat fixes it.`), "swe");
  assert.deepEqual(fenced, { ok: true, candidate: { answer: diff, patch: diff }, reasoning: "The bug is a." });
  const raw = parseTeacherReply(reply(`Fix:\ndiff --git a/x.py b/x.py\n${diff.trimEnd()}`), "swe");
  assert.equal(raw.ok && raw.candidate.patch, `diff --git a/x.py b/x.py\n${diff}`);
  const later = parseTeacherReply(reply(`First try:\n\`\`\`diff\n--- a/y\n+++ b/y\n\`\`\`\nBetter:\n\`\`\`\n${diff}\`\`\``), "swe");
  assert.equal(later.ok && later.candidate.patch, diff);
  assert.deepEqual(parseTeacherReply(reply("Final answer: change a to b"), "swe"), { ok: false, reason: "no-final-answer", detail: "no unified diff in the reply" });
});

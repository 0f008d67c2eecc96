import assert from "node:assert/strict";
import { test } from "node:test";
import { redactTrajectory } from "../../src/privacy/trajectory.js";
import { ScanMemo } from "../../src/privacy/scan-memo.js";
import { scanSecrets } from "../../src/privacy/scan.js";
import { finishTrajectory } from "../../src/formats/common/finish.js";
import type { DraftMessage } from "../../src/formats/types.js";

const secret = "contact alice.smith@acme-corp.com about the deploy, password: Tr0ub4dor&3x";
// same length, no secret: a memo that matched texts by length alone would redact it
const plain = "x".repeat(secret.length);

test("the memo finds a text again only when it is the same text, not one of the same length", () => {
  const memo = new ScanMemo();
  assert.equal(plain.length, secret.length);
  const found = memo.spans(secret);
  assert.ok(found.length > 0);
  assert.deepEqual(memo.spans(plain), []);
  // the same text, another string: the remembered findings
  assert.equal(memo.spans(`${secret.slice(0, 10)}${secret.slice(10)}`), found);
  assert.deepEqual(memo.spans("password: hunter2x9"), scanSecrets("password: hunter2x9"));
});

test("records redacted with a shared memo equal records redacted alone, counts included", () => {
  const record = (question: string, output: string) => {
    const call = { id: "c", name: "run", type: "function" as const, arguments: { text: output }, raw_arguments: null };
    const messages: DraftMessage[] = [
      { role: "system", content: secret, extra: {} },
      { role: "user", content: question, extra: {} },
      { role: "assistant", content: null, reasoning: null, tool_calls: [call], extra: {} },
      { role: "tool", call_id: "c", name: "run", content: output, is_error: false, extra: {} },
    ];
    const finished = finishTrajectory({ locator: { line: 1 }, messages }, { format: "test", file: "t.jsonl" });
    assert.ok(finished.ok);
    return finished.trajectory;
  };
  const memo = new ScanMemo();
  for (const [question, output] of [[plain, secret], [secret, plain], [plain, plain], [secret, secret]] as const) {
    const t = record(question, output);
    const redacted = redactTrajectory(t, "on", memo);
    assert.deepEqual(redacted, redactTrajectory(t, "on"));
    assert.equal(redacted.messages[0]!.content?.includes("<SECRET:email>"), true);
    assert.deepEqual(redactTrajectory(t, "report", memo), redactTrajectory(t, "report"));
  }
});

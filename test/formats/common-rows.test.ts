import assert from "node:assert/strict";
import { test } from "node:test";
import { rowsImporter, ShapeError } from "../../src/formats/common/rows.js";
import type { ImportInput, ImportItem, Importer } from "../../src/formats/types.js";
import { convertItems } from "../../src/import/convert.js";
import type { ImportEvent } from "../../src/import/run.js";

const draft = (line: number) => ({ locator: { line }, messages: [{ role: "user" as const, content: `row ${line}` }] });

async function* lines(values: unknown[]) {
  for (const [i, value] of values.entries()) yield { line: i + 1, value };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

test("rowsImporter: a ShapeError rejects the row as wrong-shape; any other exception is an internal-error naming its class, and the rows after it still import", async () => {
  const importer = rowsImporter({
    format: "probe-rows",
    description: "test",
    detectRow: () => 1,
    convertRow(row, locator) {
      if (row.kind === "bad") throw new ShapeError("messages: expected an array");
      // a converter bug: reading a field of something that is not there
      if (row.kind === "bug") return (row.missing as { field: string }).field as never;
      return draft(locator.line!);
    },
  });
  const input: ImportInput = { container: "jsonl", file: "rows.jsonl", lines: lines([{ kind: "bad" }, { kind: "bug" }, { kind: "ok" }]) };
  const items = await collect(importer.read(input));
  const rejects = items.filter((i): i is Extract<ImportItem, { kind: "reject" }> => i.kind === "reject");
  assert.deepEqual(rejects.map((r) => [r.locator.line, r.code]), [[1, "wrong-shape"], [2, "internal-error"]]);
  assert.equal(rejects[0]!.reason, "messages: expected an array");
  assert.match(rejects[1]!.reason, /^the probe-rows importer failed \(a bug in acc, please report it\): TypeError: /);
  assert.deepEqual(items.filter((i) => i.kind === "trajectory").map((i) => (i.kind === "trajectory" ? i.draft.locator.line : 0)), [3]);
});

test("convertItems: an importer that throws mid-file ends as one reject: a bug is internal-error, a failed read unreadable, a ShapeError wrong-shape", async () => {
  const failing = (error: unknown): Importer => ({
    format: "probe-stream",
    description: "test",
    detect: () => 1,
    async *read() {
      yield { kind: "trajectory", draft: draft(1) };
      throw error;
    },
  });
  const input: ImportInput = { container: "json", file: "x.json", document: {} };
  const systemError = Object.assign(new Error("EIO: i/o error, read"), { code: "EIO", syscall: "read", path: "x.json" });
  const cases: [unknown, string, RegExp][] = [
    [new RangeError("Maximum call stack size exceeded"), "internal-error", /stopped after 1 records: the probe-stream importer failed \(a bug in acc, please report it\): RangeError: Maximum call stack/],
    [systemError, "unreadable", /stopped after 1 records: cannot read x\.json/],
    [new ShapeError("events: expected an array"), "wrong-shape", /stopped after 1 records: events: expected an array$/],
  ];
  for (const [error, code, reason] of cases) {
    const events: ImportEvent[] = await collect(convertItems(failing(error), input, "x.json", { redact: "off" }));
    assert.deepEqual(events.map((e) => e.type), ["trajectory", "reject"]);
    const reject = events[1]!.type === "reject" ? events[1]!.reject : undefined;
    assert.equal(reject?.code, code);
    assert.match(reject!.reason, reason);
    assert.equal(reject!.file, "x.json");
  }
});

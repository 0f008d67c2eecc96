// One helper per job: a general check written once in its module is not spelled again inline elsewhere.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { test } from "node:test";
import { sourceFiles } from "../../scripts/structure.js";

/** `typeof x === "object" && x !== null && !Array.isArray(x)` and its negation, in any order of the three parts. */
function spellsObjectCheck(text: string): string[] {
  const found: string[] = [];
  for (const [, name] of text.matchAll(/Array\.isArray\((\w+(?:\.\w+)*)\)/g)) {
    const x = name!.replace(/\./g, "\\.");
    const parts = [new RegExp(`typeof ${x} [!=]== "object"`), new RegExp(`${x} [!=]== null`)];
    for (const line of text.split("\n")) {
      if (line.includes(`Array.isArray(${name})`) && parts.every((part) => part.test(line)) && !found.includes(line.trim())) found.push(line.trim());
    }
  }
  return found;
}

test("a parsed JSON object is checked by isRecord (src/json.ts) only, never spelled inline or copied", () => {
  const files = sourceFiles();
  assert.ok(files.length > 300, `the sources were read (${files.length} files)`);
  const spelled = files
    .filter((file) => !file.endsWith("/src/json.ts"))
    .flatMap((file) => spellsObjectCheck(readFileSync(file, "utf8")).map((line) => `${relative(process.cwd(), file)}: ${line}`));
  assert.deepEqual(spelled, [], "use isRecord from src/json.ts");
});

// Data flows one way between the top-level folders of src/: an import cycle between two folders (directly or
// through others) fails here, naming the imports that close it; so does a general folder (errors, io, run, …)
// that imports a stage, or any folder that imports the CLI.
import assert from "node:assert/strict";
import { test } from "node:test";
import { folderCycles, folderEdges } from "../../scripts/structure.js";

test("no import cycle between the top-level folders of src/", () => {
  const edges = folderEdges();
  assert.ok(edges.size > 50, `the folder graph was read (${edges.size} edges)`);
  const cycles = folderCycles(edges).map((cycle) => {
    const inside = [...edges].filter(([key]) => cycle.includes(key.split(" -> ")[0]!) && cycle.includes(key.split(" -> ")[1]!));
    return `${cycle.join(" ↔ ")}:\n${inside.map(([key, lines]) => `  ${key}: ${lines.slice(0, 3).join("; ")}`).join("\n")}`;
  });
  assert.deepEqual(cycles, [], cycles.join("\n"));
});

/** The folders every stage may use; they import only each other. */
const GENERAL = ["errors", "json", "random", "records", "io", "run", "shard"];

test("the general folders import no stage, and nothing imports the CLI", () => {
  const wrong = [...folderEdges()]
    .filter(([key]) => {
      const [from, to] = key.split(" -> ") as [string, string];
      return (GENERAL.includes(from) && !GENERAL.includes(to)) || to === "cli";
    })
    .map(([key, lines]) => `${key}: ${lines.join("; ")}`);
  assert.deepEqual(wrong, []);
});

test("the cycle finder finds a cycle through three folders and none in a chain", () => {
  const edge = (key: string) => [key, [key]] as [string, string[]];
  assert.deepEqual(folderCycles(new Map([edge("a -> b"), edge("b -> c"), edge("c -> a"), edge("c -> d")])), [["a", "b", "c"]]);
  assert.deepEqual(folderCycles(new Map([edge("a -> b"), edge("b -> c"), edge("a -> c")])), []);
});

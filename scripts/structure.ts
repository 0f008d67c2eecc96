// The structure figures of issue 21, counted from the source: lines in src/, runtime names the package
// exports, error classes (and names used by two classes), files that declare or read command-line flags,
// and import cycles between the top-level folders of src/. `npm run structure` prints them; the folder
// graph is also what test/architecture/folders.test.ts checks for cycles.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";

const SRC = resolve(import.meta.dirname, "../src");

/** Every TypeScript source file under src/ (declaration files excluded), sorted. */
export function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return sourceFiles(path);
      return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
    });
}

/** The top-level part of src/ a file belongs to: its folder, or the file's own name for src/random.ts. */
export function folderOf(file: string): string {
  const parts = relative(SRC, file).split("/");
  // an import names the file as .js
  return parts.length === 1 ? parts[0]!.replace(/\.[jt]s$/, "") : parts[0]!;
}

/**
 * The imports between top-level folders (type-only imports included: they tie the folders too), as
 * "from -> to" → the import lines that make the edge. src/index.ts, the public API, is left out: it
 * imports every folder and nothing imports it.
 */
export function folderEdges(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of sourceFiles()) {
    if (relative(SRC, file) === "index.ts") continue;
    for (const { fileName } of ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles) {
      if (!fileName.startsWith(".")) continue;
      const from = folderOf(file);
      const to = folderOf(resolve(dirname(file), fileName));
      if (from === to) continue;
      const key = `${from} -> ${to}`;
      edges.set(key, [...(edges.get(key) ?? []), `${relative(SRC, file)} imports ${fileName}`]);
    }
  }
  return edges;
}

/** The strongly connected components of more than one folder (Tarjan): each is an import cycle. */
export function folderCycles(edges = folderEdges()): string[][] {
  const graph = new Map<string, string[]>();
  for (const key of edges.keys()) {
    const [from, to] = key.split(" -> ") as [string, string];
    graph.set(from, [...(graph.get(from) ?? []), to]);
    if (!graph.has(to)) graph.set(to, []);
  }
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    for (const to of graph.get(node)!) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (stack.includes(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component = stack.splice(stack.indexOf(node));
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles;
}

/** Every class under src/ whose chain of `extends` reaches Error, by name, with the files declaring it. */
function errorClasses(files: string[]): Map<string, string[]> {
  const parents = new Map<string, string>();
  const declared = new Map<string, string[]>();
  for (const file of files) {
    for (const [, name, parent] of readFileSync(file, "utf8").matchAll(/\bclass (\w+) extends (\w+)/g)) {
      parents.set(`${name}@${file}`, parent!);
      declared.set(name!, [...(declared.get(name!) ?? []), relative(SRC, file)]);
    }
  }
  const isError = (name: string, seen = new Set<string>()): boolean => {
    if (name === "Error") return true;
    if (seen.has(name)) return false;
    seen.add(name);
    return [...parents].some(([key, parent]) => key.startsWith(`${name}@`) && isError(parent, seen));
  };
  return new Map([...declared].filter(([name]) => isError(name)));
}

async function report(): Promise<void> {
  const files = sourceFiles();
  const lines = files.reduce((sum, file) => sum + readFileSync(file, "utf8").split("\n").length - 1, 0);
  const api = await import(pathToFileURL(join(SRC, "index.ts")).href);
  const index = readFileSync(join(SRC, "index.ts"), "utf8");
  const errors = errorClasses(files);
  const errorCount = [...errors.values()].reduce((sum, at) => sum + at.length, 0);
  const flagFiles = files.filter((file) => /\.(option|requiredOption|addOption)\(|new Option\(|\bflags\.\w/.test(readFileSync(file, "utf8")));
  const cycles = folderCycles();
  const rows: [string, string][] = [
    ["TypeScript files in src/", String(files.length)],
    ["lines in src/", String(lines)],
    ["runtime names exported by src/index.ts", String(Object.keys(api).length)],
    ["`export *` in src/index.ts", String([...index.matchAll(/^export \* from/gm)].length)],
    ["error classes (extending Error, AccError included)", String(errorCount)],
    ["error class names declared twice", [...errors].filter(([, at]) => at.length > 1).map(([name, at]) => `${name} (${at.join(", ")})`).join("; ") || "none"],
    ["files with flag parsing (commander options or flags.x reads)", String(flagFiles.length)],
    ["import cycles between top-level folders of src/", cycles.length === 0 ? "0" : `${cycles.length}: ${cycles.map((c) => c.join(" ↔ ")).join("; ")}`],
  ];
  for (const [name, value] of rows) console.log(`${name.padEnd(62)} ${value}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await report();

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export interface Example {
  /** Where it is written: `docs/commands/export.md:7` or `acc export --help`. */
  source: string;
  /** One shell command line (continuation lines joined). */
  command: string;
}

const ROOT = join(import.meta.dirname, "../..");

/** Every Markdown file the docs test reads: README.md and everything under docs/, sorted. */
export function markdownFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir)
      .sort()
      .flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? walk(path) : name.endsWith(".md") ? [path] : [];
      });
  return [join(ROOT, "README.md"), ...walk(join(ROOT, "docs"))];
}

/**
 * The command lines of every ```sh (or ```bash, ```shell) block of a Markdown file, in order: a
 * trailing `\` joins the next line, blank lines and comment-only lines are not commands. New docs are
 * picked up without registering them anywhere.
 */
export function shellExamples(path: string): Example[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const examples: Example[] = [];
  let inBlock = false;
  let pending: { start: number; text: string } | undefined;
  for (const [i, line] of lines.entries()) {
    const fence = /^\s*```\s*([\w-]*)/.exec(line);
    if (fence) {
      inBlock = !inBlock && ["sh", "bash", "shell"].includes(fence[1]!);
      continue;
    }
    if (!inBlock) continue;
    const text = pending ? `${pending.text} ${line.trim()}` : line.trim();
    const start = pending?.start ?? i + 1;
    if (text.endsWith("\\")) {
      pending = { start, text: text.slice(0, -1).trimEnd() };
      continue;
    }
    pending = undefined;
    if (text === "" || text.startsWith("#")) continue;
    examples.push({ source: `${relative(ROOT, path)}:${start}`, command: text });
  }
  return examples;
}

/** The command lines of a `--help` text's `Examples:` block (indented lines up to the first blank one). */
export function helpExamples(command: string, help: string): Example[] {
  const block = /\nExamples:\n((?: {2}.*\n?)+)/.exec(help)?.[1] ?? "";
  const examples: Example[] = [];
  let pending = "";
  for (const line of block.split("\n")) {
    if (line.trim() === "") continue;
    const text = `${pending}${line.trim()}`;
    if (text.endsWith("\\")) {
      pending = `${text.slice(0, -1).trimEnd()} `;
      continue;
    }
    pending = "";
    examples.push({ source: `acc ${command} --help`, command: text });
  }
  return examples;
}

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../helpers/collect.js";

// Every command and subcommand's --help against its page docs/commands/<command>.md: each flag --help
// lists is documented on the page, each flag the page's option tables list is one --help knows, every
// (sub)command's help ends with examples, and a short flag means the same long flag in every command.

const ROOT = join(import.meta.dirname, "../..");

interface Help {
  /** "verify qa" */
  path: string;
  text: string;
  /** long flags, e.g. "--out", with their short flag when they have one */
  flags: { long: string; short?: string }[];
  subcommands: string[];
}

function section(text: string, title: string): string {
  return new RegExp(`\\n${title}:\\n((?: {2}.*\\n?|\\n(?= ))*)`).exec(text)?.[1] ?? "";
}

async function help(path: string[]): Promise<Help> {
  const run = await runCli([...path, "--help"]);
  assert.equal(run.code, 0, `acc ${path.join(" ")} --help`);
  const flags = [...section(run.stdout, "Options").matchAll(/^ {2}(?:(-\w), )?(--[\w-]+)/gm)]
    .map((m) => ({ long: m[2]!, ...(m[1] ? { short: m[1] } : {}) }))
    .filter((flag) => flag.long !== "--help" && flag.long !== "--version");
  const subcommands = [...section(run.stdout, "Commands").matchAll(/^ {2}(\w[\w-]*)/gm)].map((m) => m[1]!).filter((name) => name !== "help");
  return { path: path.join(" "), text: run.stdout, flags, subcommands };
}

/** The top-level command names and every (sub)command's help. */
async function allHelp(): Promise<Map<string, Help[]>> {
  const top = await help([]);
  const byCommand = new Map<string, Help[]>();
  for (const name of top.subcommands) {
    const main = await help([name]);
    const subs = await Promise.all(main.subcommands.map((sub) => help([name, sub])));
    byCommand.set(name, [main, ...subs]);
  }
  return byCommand;
}

/** The inline code spans of a page's prose and tables (not of its fenced examples). */
function codeSpans(markdown: string): string[] {
  let fenced = false;
  const spans: string[] = [];
  for (const line of markdown.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    else if (!fenced) for (const m of line.matchAll(/`([^`]+)`/g)) spans.push(m[1]!);
  }
  return spans;
}

/** The flags a page's option tables list: the code spans of the first cell of rows that start with one. */
function tableFlags(markdown: string): string[] {
  const flags: string[] = [];
  for (const row of markdown.split("\n").filter((line) => line.startsWith("| `-"))) {
    const cell = row.slice(1).split(/(?<!\\)\|/)[0]!;
    for (const m of cell.matchAll(/`([^`]+)`/g)) for (const flag of m[1]!.matchAll(/--[\w-]+/g)) flags.push(flag[0]);
  }
  return flags;
}

const helps = await allHelp();

test("every command has a page, and every flag its --help lists is documented there", () => {
  const missing: string[] = [];
  for (const [name, commands] of helps) {
    const page = join(ROOT, "docs/commands", `${name}.md`);
    assert.ok(existsSync(page), `docs/commands/${name}.md`);
    const spans = codeSpans(readFileSync(page, "utf8"));
    const documented = (flag: string) =>
      spans.some((span) => new RegExp(`(^|[^\\w-])${flag}(?![\\w-])`).test(span) || [...span.matchAll(/(--[\w-]+)\*/g)].some((m) => flag.startsWith(m[1]!)));
    missing.push(...commands.flatMap((c) => c.flags.filter((f) => !documented(f.long)).map((f) => `acc ${c.path} ${f.long}`)));
  }
  assert.deepEqual(missing, [], "flags --help lists that docs/commands/<command>.md does not document");
});

test("every flag a page's option tables list is one its command's --help knows", () => {
  const unknown: string[] = [];
  for (const [name, commands] of helps) {
    const known = new Set(commands.flatMap((c) => c.flags.map((f) => f.long)));
    unknown.push(...tableFlags(readFileSync(join(ROOT, "docs/commands", `${name}.md`), "utf8")).filter((flag) => !known.has(flag) && !flag.endsWith("-")).map((flag) => `docs/commands/${name}.md ${flag}`));
  }
  assert.deepEqual(unknown, [], "flags the option tables list that --help does not know");
});

test("every command and subcommand's --help ends with examples of itself", () => {
  for (const commands of helps.values()) {
    for (const c of commands) {
      const examples = /\nExamples:\n((?: {2}.*\n?)+)/.exec(c.text)?.[1] ?? "";
      assert.ok(examples.includes(`acc ${c.path}`), `acc ${c.path} --help has an example of acc ${c.path}`);
    }
  }
});

test("a short flag means the same long flag in every command", () => {
  const meanings = new Map<string, Set<string>>();
  for (const c of [...helps.values()].flat()) for (const f of c.flags) if (f.short) meanings.set(f.short, (meanings.get(f.short) ?? new Set()).add(f.long));
  for (const [short, longs] of meanings) assert.equal(longs.size, 1, `${short} means ${[...longs].join(" and ")}`);
  assert.deepEqual([...(meanings.get("-o") ?? [])], ["--out"]);
});

import { posix } from "node:path";
import { parse, type ParseEntry } from "shell-quote";

export type LineNumbers = "numbered" | "grep" | "plain";

/** What a shell command that only reads one file shows of it. */
export interface FileRead {
  /** The file as the command names it, joined to the directory of a leading `cd`. */
  path: string;
  /** How output lines show their numbers: `numbered` (`nl`, `cat -n`), `grep` (`12:match`, `13-context`) or `plain`. */
  lines: LineNumbers;
  /** Line number of the first output line, when known and the lines are not numbered. */
  firstLine?: number;
  /** The output is the whole file. */
  whole: boolean;
}

/** Words and operators of one simple command, redirections taken out. */
interface Simple {
  words: string[];
  /** Writes to a file other than /dev/null (`>`, `>>`). */
  writes: boolean;
}

const SEPARATORS = new Set(["&&", ";", "||"]);
const REDIRECTS = new Set([">", ">>", "<", ">&", "<&", "<>", ">|", "&>"]);

/**
 * The file a command line only reads, as agents run it through a shell tool: `cat f`, `nl -ba f`,
 * `head -n 50 f`, `tail -n +20 f`, `sed -n '10,40p' f`, `grep -n pat f`, after `cd dir &&` and
 * before filters (`| head`, `| sed -n …`, `| grep …`), with `2>&1` or `2>/dev/null`. Undefined for
 * anything else: several files, scripts, writes, multi-line commands.
 */
export function fileRead(command: string): FileRead | undefined {
  const pipelines = pipelinesOf(command);
  if (pipelines === undefined) return undefined;
  let directory: string | undefined;
  const rest = [...pipelines];
  while (rest.length > 1 && rest[0]!.length === 1 && rest[0]![0]!.words[0] === "cd" && rest[0]![0]!.words.length === 2) {
    directory = rest.shift()![0]!.words[1]!;
  }
  if (rest.length !== 1) return undefined;
  const [reader, ...filters] = rest[0]!;
  if (reader === undefined || [reader, ...filters].some((c) => c.writes)) return undefined;
  let read = readerOf(reader.words);
  for (const filter of filters) {
    if (read === undefined) return undefined;
    read = filtered(read, filter.words);
  }
  if (read === undefined) return undefined;
  const path = directory !== undefined && !read.path.startsWith("/") ? posix.join(directory, read.path) : read.path;
  return { ...read, path };
}

/** Commands that change the repository's files as a whole (apply, revert, switch). */
const TREE_CHANGES = /\b(?:git\s+(?:apply|am|checkout|restore|reset|stash|cherry-pick|merge|pull|rebase|revert|switch)|patch\s+-p\d|patch\s+<)/;
/** Commands whose output is a diff of the working tree or of commits. */
const DIFF_COMMANDS = /\b(?:git\s+(?:diff|show|log\s+[^|]*-p|stash\s+show)|diff\s+-)/;

/** True when the command line may change the repository's files as a whole (git apply, checkout, stash…). */
export function changesTree(command: string): boolean {
  return TREE_CHANGES.test(command);
}

/** True when the command line prints a diff (`git diff`, `git show`, `diff -u`…). */
export function printsDiff(command: string): boolean {
  return DIFF_COMMANDS.test(command);
}

/** True when `command` names `file` (by a path ending in it, or its file name as a word). */
export function mentionsFile(command: string, file: string): boolean {
  const name = posix.basename(file).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?:^|[\\s'"=/(,])${name}(?![\\w.-])`).test(command);
}

function pipelinesOf(command: string): Simple[][] | undefined {
  if (command.trim().includes("\n")) return undefined;
  let entries: ParseEntry[];
  try {
    entries = parse(command, (name) => `$${name}`);
  } catch {
    return undefined;
  }
  const pipelines: Simple[][] = [[]];
  let current: Simple = { words: [], writes: false };
  const close = () => {
    if (current.words.length > 0) pipelines[pipelines.length - 1]!.push(current);
    current = { words: [], writes: false };
  };
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (typeof entry === "string") {
      current.words.push(entry);
      continue;
    }
    if ("comment" in entry) break;
    if (!("op" in entry) || entry.op === "glob") return undefined;
    if (entry.op === "|") close();
    else if (SEPARATORS.has(entry.op)) {
      close();
      pipelines.push([]);
    } else if (REDIRECTS.has(entry.op)) {
      // `2>&1`: the file descriptor is the word before the operator.
      if (/^\d$/.test(current.words[current.words.length - 1] ?? "")) current.words.pop();
      const target = entries[++i];
      if (typeof target !== "string") return undefined;
      if ((entry.op === ">" || entry.op === ">>" || entry.op === ">|" || entry.op === "&>") && target !== "/dev/null") current.writes = true;
    } else return undefined;
  }
  close();
  return pipelines.filter((p) => p.length > 0);
}

type Read = Omit<FileRead, "path"> & { path: string };

function readerOf(words: string[]): Read | undefined {
  const [name, ...args] = words;
  switch (name) {
    case "cat": {
      const { options, operands } = split(args, "");
      if (operands.length !== 1) return undefined;
      return options.some((o) => /^-[a-zA-Z]*[nb]/.test(o)) ? { path: operands[0]!, lines: "numbered", whole: true } : { path: operands[0]!, lines: "plain", firstLine: 1, whole: true };
    }
    case "nl": {
      const { operands } = split(args, "bdfhilnsvw");
      return operands.length === 1 ? { path: operands[0]!, lines: "numbered", whole: true } : undefined;
    }
    case "head": {
      const lines = lineCount(args);
      if (lines === undefined) return undefined;
      return lines.operands.length === 1 ? { path: lines.operands[0]!, lines: "plain", firstLine: 1, whole: false } : undefined;
    }
    case "tail": {
      const lines = lineCount(args);
      if (lines === undefined || lines.operands.length !== 1) return undefined;
      const from = lines.fromLine;
      return { path: lines.operands[0]!, lines: "plain", whole: from === 1, ...(from !== undefined ? { firstLine: from } : {}) };
    }
    case "sed": {
      const script = sedPrint(args);
      return script && script.operands.length === 1 ? { path: script.operands[0]!, lines: "plain", firstLine: script.first, whole: false } : undefined;
    }
    case "grep":
    case "egrep":
    case "fgrep": {
      const { options, operands } = split(args, "efmABCD");
      const flags = options.join("");
      if (!flags.includes("n") || /[rRlLcqo]/.test(flags)) return undefined;
      const hasPatternOption = options.some((o) => /^-[a-zA-Z]*e$/.test(o));
      const files = hasPatternOption ? operands : operands.slice(1);
      return files.length === 1 ? { path: files[0]!, lines: "grep", whole: false } : undefined;
    }
    default:
      return undefined;
  }
}

function filtered(read: Read, words: string[]): Read | undefined {
  const [name, ...args] = words;
  if (name === "head") {
    const lines = lineCount(args);
    return lines && lines.operands.length === 0 ? { ...read, whole: false } : undefined;
  }
  if (name === "tail") {
    const lines = lineCount(args);
    if (!lines || lines.operands.length > 0) return undefined;
    if (read.lines !== "plain") return { ...read, whole: false };
    const { firstLine: _dropped, ...rest } = read;
    return lines.fromLine !== undefined && read.firstLine !== undefined ? { ...read, firstLine: read.firstLine + lines.fromLine - 1, whole: false } : { ...rest, whole: false };
  }
  if (name === "sed") {
    const script = sedPrint(args);
    if (!script || script.operands.length > 0) return undefined;
    if (read.lines !== "plain") return { ...read, whole: false };
    return read.firstLine !== undefined ? { ...read, firstLine: read.firstLine + script.first - 1, whole: false } : undefined;
  }
  // Any other filter keeps numbered lines' own numbers (e.g. `nl -ba f | grep foo`).
  return read.lines !== "plain" && ["grep", "egrep", "fgrep", "awk", "cut", "less", "more"].includes(name ?? "") ? { ...read, whole: false } : undefined;
}

/** Options and operands; `withArgument` lists the option letters that take the next word. */
function split(args: string[], withArgument: string): { options: string[]; operands: string[] } {
  const options: string[] = [];
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      options.push(arg);
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      options.push(arg);
      // The option's argument (`-A 3`, `-e pattern`) is neither an option nor an operand.
      if (withArgument.includes(arg[arg.length - 1]!) && /^-[a-zA-Z]+$/.test(arg)) i++;
      continue;
    }
    operands.push(arg);
  }
  return { options, operands };
}

/** `-n N`, `-N`, `-nN`, `-n +K` (tail: from line K); undefined for byte counts (`-c`) or other options. */
function lineCount(args: string[]): { operands: string[]; fromLine?: number } | undefined {
  const operands: string[] = [];
  let fromLine: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    let count: string | undefined;
    if (arg === "-n" || arg === "--lines") count = args[++i];
    else if (/^-n[+\d]/.test(arg)) count = arg.slice(2);
    else if (/^--lines=/.test(arg)) count = arg.slice(8);
    else if (/^-\d+$/.test(arg)) count = arg.slice(1);
    else if (arg === "-q" || arg === "-v") continue;
    else if (arg.startsWith("-") && arg.length > 1) return undefined;
    else {
      operands.push(arg);
      continue;
    }
    if (count === undefined || !/^\+?\d+$/.test(count)) return undefined;
    if (count.startsWith("+")) fromLine = Number(count.slice(1)) || 1;
  }
  return { operands, ...(fromLine !== undefined ? { fromLine } : {}) };
}

/** `sed -n 'A,Bp' …` / `sed -n 'Ap'` / `sed -n -e 'A,Bp'`: the first line printed and the operands. */
function sedPrint(args: string[]): { first: number; operands: string[] } | undefined {
  let quiet = false;
  let script: string | undefined;
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-n" || arg === "--quiet" || arg === "--silent") quiet = true;
    else if (arg === "-e") script = args[++i];
    else if (arg.startsWith("-")) return undefined;
    else if (script === undefined) script = arg;
    else operands.push(arg);
  }
  const match = script === undefined ? null : /^\s*(\d+)\s*(?:,\s*(\d+|\$))?\s*p\s*;?\s*$/.exec(script);
  return quiet && match ? { first: Number(match[1]), operands } : undefined;
}

/** Programs that only read (with no `-i`, no output redirection into a file). */
const READ_ONLY_PROGRAMS = new Set([
  "ls", "wc", "grep", "egrep", "fgrep", "rg", "ag", "find", "file", "stat", "head", "tail", "cat", "nl", "less", "more",
  "sed", "awk", "cut", "sort", "uniq", "tr", "cd", "pwd", "echo", "which", "type", "tree", "du", "md5sum", "sha256sum", "diff", "cmp",
]);
const READ_ONLY_GIT = new Set(["log", "show", "blame", "status", "grep", "diff", "ls-files", "rev-parse", "branch"]);

/** True when every command of the line is a known reader (`ls`, `grep -rn`, `git log`…) and nothing is written. */
export function readOnly(command: string): boolean {
  const pipelines = pipelinesOf(command);
  if (pipelines === undefined) return false;
  return pipelines.flat().every(({ words, writes }) => {
    if (writes) return false;
    const [program, ...args] = words;
    if (program === "git") return READ_ONLY_GIT.has(args.find((a) => !a.startsWith("-")) ?? "");
    if (program === "sed" || program === "awk") return !args.some((a) => /^-i|^--in-place|inplace/.test(a));
    if (program === "find") return !args.some((a) => ["-delete", "-exec", "-execdir", "-fprint", "-fls"].includes(a));
    return READ_ONLY_PROGRAMS.has(program ?? "");
  });
}

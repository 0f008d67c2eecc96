import { posix } from "node:path";
import type { Trajectory, ToolCall } from "../../records/trajectory.js";
import type { RepoSnapshot } from "../repo.js";
import { argumentText, callsWithResults, nameTokens, PieceSet, stringArgument } from "./common.js";
import { commandOutput } from "./output.js";
import { changesTree, fileRead, type LineNumbers, mentionsFile, printsDiff, readOnly } from "./shell.js";
import { isRecord } from "../../json.js";

const PATH_KEYS = ["path", "file_path", "filename", "file", "target_file", "filepath", "notebook_path"];
const COMMAND_KEYS = ["command", "cmd", "code", "script", "input"];
const VIEW_TOKENS = new Set(["view", "read", "open", "cat"]);
const EDIT_TOKENS = new Set(["edit", "write", "create", "insert", "replace", "patch", "apply", "append", "delete", "remove", "rename", "move", "undo"]);
const EDIT_SUBCOMMANDS = new Set(["create", "str_replace", "insert", "undo_edit", "write", "append", "edit", "delete", "replace"]);
const SHELL_TOKENS = new Set(["bash", "shell", "exec", "execute", "terminal", "run", "cmd", "command", "local", "python", "ipython"]);
/** The commands mini-swe-agent runs to submit: their output is the whole patch. */
const SUBMIT_MARKERS = /COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT|MINI_SWE_AGENT_FINAL_OUTPUT/;
/** `   12\tcode`, `    12→code` (Claude Code), `12:code` (SWE-agent), `12 | code`. */
const NUMBERED_LINE = /^\s*(\d+)(?:\t|→|:| \| ?| {1,2})(.*)$/;
const OPEN_FILE = /\(Open file: ([^)\n]*)\)\s*\n\(Current directory:/;
/** `grep -n`: `12:match`, `13-context`, `--` between groups. */
const GREP_LINE = /^(\d+)[:-](.*)$/;

export interface SweEvidenceOptions {
  /** The repository at the task's base commit: patched files are read in full from it. */
  repo?: RepoSnapshot;
  /** Most distractor files taken from the patched files' directories. */
  maxDirectoryDistractors: number;
}

/** One look at a file: the text shown and what is known of its lines. */
export interface FileView {
  text: string;
  /** How lines show their numbers; undefined: guessed from the text (editor views). */
  lines?: LineNumbers;
  /** Line number of the first line, for plain partial views (`sed -n '10,40p'`). */
  firstLine?: number;
  /** The view is the whole file. */
  whole?: boolean;
}

/** Files a unified diff touches (new paths; old paths for deletions). */
export function filesInPatch(patch: string): string[] {
  const files: string[] = [];
  for (const match of patch.matchAll(/^diff --git a\/(\S+) b\/(\S+)$/gm)) files.push(match[2]!);
  if (files.length === 0) for (const match of patch.matchAll(/^\+\+\+ b\/(\S+)/gm)) files.push(match[1]!);
  return [...new Set(files)];
}

/** The patch a SWE trajectory submitted (the gold patch of its sample), or null. */
export function goldPatch(trajectory: Trajectory): string | null {
  return trajectory.outcome.submitted_patch ?? (trajectory.final.kind === "patch" ? trajectory.final.answer : null);
}

/**
 * SWE agents: every file the final patch touches is evidence (in full from the repository at the base
 * commit, else the most complete view the agent had of it before its first edit of that file); other
 * files the agent viewed and its command outputs are debugging context; other files of the patched
 * directories are distractors. What shows the fix is left out: views of a patched file after it was
 * edited, commands that edit a patched file (`sed -i`, heredocs, scripts naming it), diffs (`git diff`,
 * `git show`) and submit commands.
 */
export function extractSweEvidence(trajectory: Trajectory, options: SweEvidenceOptions): PieceSet {
  const pieces = new PieceSet(trajectory.id);
  const patch = goldPatch(trajectory);
  const patched = patch ? filesInPatch(patch) : [];
  const goldOf = (path: string) => patched.find((p) => path === p || path.endsWith(`/${p}`));
  const edited = new Set<string>();
  const markEdited = (files: readonly string[]) => files.forEach((file) => edited.add(file));
  const views = new Map<string, { views: FileView[]; messageIndex: number; callId: string }>();
  const addView = (path: string, view: FileView, messageIndex: number, callId: string) => {
    const gold = goldOf(path);
    if (gold !== undefined && edited.has(gold)) return;
    const entry = views.get(path) ?? { views: [], messageIndex, callId };
    entry.views.push(view);
    views.set(path, entry);
  };

  /** The file SWE-agent's editor has open (its results end with `(Open file: …)`): where a path-less edit goes. */
  let openFile: string | undefined;
  for (const { call, result } of callsWithResults(trajectory)) {
    const editsOpenFile = openFile;
    openFile = (result && OPEN_FILE.exec(result.content)?.[1]) || openFile;
    const tokens = nameTokens(call.name);
    const editorPath = stringArgument(call, PATH_KEYS);
    const subcommand = stringArgument(call, ["command"]);
    if (!tokens.some((t) => SHELL_TOKENS.has(t)) || editorPath !== undefined) {
      // An editor-style tool: view, edit, or something else.
      if (editorPath !== undefined && (tokens.some((t) => VIEW_TOKENS.has(t)) || subcommand === "view") && (subcommand === undefined || subcommand === "view")) {
        if (result !== undefined && !result.isError && result.content.trim() !== "") {
          addView(normalisePath(editorPath), { text: result.content.replaceAll("\r\n", "\n"), ...(isPartialEditorView(call) ? { whole: false } : {}) }, result.messageIndex, call.id);
        }
      } else if ((subcommand !== undefined && EDIT_SUBCOMMANDS.has(subcommand)) || tokens.some((t) => EDIT_TOKENS.has(t))) {
        // An edit with no path changes SWE-agent's open file; when that is unknown, any patched file.
        const target = editorPath ?? (editsOpenFile !== undefined && editsOpenFile !== "n/a" ? editsOpenFile : undefined);
        markEdited(target === undefined ? patched : patched.filter((p) => p === goldOf(normalisePath(target))));
        // A script written this way that names a patched file may change it when run.
        const written = argumentStrings(call).join("\n");
        markEdited(patched.filter((p) => mentionsFile(written, p)));
      }
      continue;
    }
    const command = argumentText(call, COMMAND_KEYS) ?? "";
    const read = fileRead(command);
    const output = result === undefined ? undefined : commandOutput(result.content);
    if (read !== undefined) {
      if (output !== undefined && !output.failed && !result!.isError && output.text.trim() !== "") {
        const { path, ...shown } = read;
        addView(normalisePath(path), { ...shown, text: output.text, ...(output.truncated ? { whole: false } : {}) }, result!.messageIndex, call.id);
      }
      continue;
    }
    const named = patched.filter((p) => mentionsFile(command, p));
    const readsOnly = readOnly(command);
    // A command that may write names the patched files it changes; one that only reads shows them as they are now.
    const showsEdited = readsOnly && named.some((p) => edited.has(p));
    markEdited(changesTree(command) ? patched : readsOnly ? [] : named);
    if (output === undefined || output.text.trim() === "" || (!readsOnly && named.length > 0) || showsEdited || printsDiff(command) || SUBMIT_MARKERS.test(command)) continue;
    pieces.add({ kind: "command-output", source: `$ ${command.slice(0, 200)}`, text: `$ ${command}\n${output.text}`, role: "context", messageIndex: result!.messageIndex, callId: call.id });
  }

  for (const file of patched) {
    const viewedAs = [...views.keys()].filter((v) => goldOf(v) === file);
    const seen = viewedAs.flatMap((v) => views.get(v)!.views);
    const text = options.repo?.read(file) ?? (seen.length > 0 ? mostCompleteView(seen) : undefined);
    const first = viewedAs[0] ? views.get(viewedAs[0]) : undefined;
    if (text !== undefined && text.trim() !== "") pieces.add({ kind: "file", source: file, text, role: "evidence", ...(first ? { messageIndex: first.messageIndex, callId: first.callId } : {}) });
  }
  for (const [path, entry] of views) {
    if (goldOf(path) !== undefined) continue;
    pieces.add({ kind: "file", source: path, text: mostCompleteView(entry.views), role: "context", messageIndex: entry.messageIndex, callId: entry.callId });
  }
  if (options.repo) addDirectoryDistractors(pieces, options.repo, patched, new Set(views.keys()), options.maxDirectoryDistractors);
  return pieces;
}

/** Every string in a call's arguments (the raw text when they did not parse). */
function argumentStrings(call: ToolCall): string[] {
  const out: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === "string") out.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === "object") Object.values(value).forEach(walk);
  };
  walk(call.arguments ?? call.raw_arguments);
  return out;
}

/** An editor view of part of a file (a line range, an offset or a limit). */
function isPartialEditorView(call: ToolCall): boolean {
  const args = call.arguments;
  if (!isRecord(args)) return false;
  return ["view_range", "line_number", "offset", "limit", "start_line", "end_line"].some((key) => key in args);
}

function normalisePath(path: string): string {
  return posix.normalize(path).replace(/^\.\//, "");
}

/**
 * Views of one file merged into the most complete text: a whole-file view as it is; else views whose
 * line numbers are known (numbered output, or a known first line) merged by line number with gaps
 * marked; else the longest view.
 */
export function mostCompleteView(views: readonly (FileView | string)[]): string {
  const all = views.map((view) => (typeof view === "string" ? { text: view } : view));
  const whole = all.filter((v) => v.whole && v.lines === "plain");
  if (whole.length > 0) return whole.reduce((a, b) => (b.text.length > a.text.length ? b : a)).text;
  const lines = new Map<number, string>();
  for (const view of all) {
    const rows = view.text.split("\n");
    if (view.lines === "plain") {
      if (view.firstLine !== undefined) rows.forEach((row, i) => lines.set(view.firstLine! + i, row));
      continue;
    }
    const pattern = view.lines === "grep" ? GREP_LINE : NUMBERED_LINE;
    const parsed = rows.map((row) => pattern.exec(row));
    const nonBlank = rows.filter((row) => row.trim() !== "").length;
    const numbered = view.lines !== undefined || (nonBlank > 0 && parsed.filter(Boolean).length >= nonBlank * 0.8);
    if (!numbered) continue;
    for (const match of parsed) if (match) lines.set(Number(match[1]), match[2]!);
  }
  if (lines.size === 0) return all.reduce((a, b) => (b.text.length > a.text.length ? b : a), { text: "" }).text;
  const numbers = [...lines.keys()].sort((a, b) => a - b);
  const out: string[] = [];
  let previous = 0;
  for (const n of numbers) {
    if (n > previous + 1) out.push(`[… lines ${previous + 1}–${n - 1} not seen …]`);
    out.push(lines.get(n)!);
    previous = n;
  }
  return out.join("\n");
}

function addDirectoryDistractors(pieces: PieceSet, repo: RepoSnapshot, patched: string[], viewed: Set<string>, max: number): void {
  const directories = [...new Set(patched.map((f) => posix.dirname(f)).map((d) => (d === "." ? "" : d)))];
  let added = 0;
  for (const directory of directories) {
    for (const file of repo.listDirectory(directory)) {
      if (added >= max) return;
      if (patched.includes(file) || [...viewed].some((v) => v === file || v.endsWith(`/${file}`))) continue;
      const text = repo.read(file);
      if (text === undefined || text.length > 1_000_000) continue;
      pieces.add({ kind: "file", source: file, text, role: "distractor" });
      added++;
    }
  }
}

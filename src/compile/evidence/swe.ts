import { posix } from "node:path";
import type { Trajectory } from "../../records/trajectory.js";
import type { RepoSnapshot } from "../repo.js";
import { argumentText, callsWithResults, nameTokens, PieceSet, stringArgument } from "./common.js";

const PATH_KEYS = ["path", "file_path", "filename", "file", "target_file", "filepath"];
const COMMAND_KEYS = ["command", "cmd", "code", "script", "input"];
const VIEW_TOKENS = new Set(["view", "read", "open", "cat"]);
const SHELL_TOKENS = new Set(["bash", "shell", "exec", "execute", "terminal", "run", "cmd", "command", "local", "python", "ipython"]);
const FILE_VIEW_COMMAND = /^\s*(?:cat|nl|head|tail|less|more|sed\s+-n\s+(?:'[^']*'|"[^"]*"|\S+))(?:\s+-[\w-]+(?:\s+\d+)?)*\s+([^\s|;&<>]+)\s*$/;
/** `   12\tcode`, `    12→code` (Claude Code), `12:code`, `12 | code`. */
const NUMBERED_LINE = /^\s*(\d+)(?:\t|→|:| \| ?| {1,2})(.*)$/;

export interface SweEvidenceOptions {
  /** The repository at the task's base commit: patched files are read in full from it. */
  repo?: RepoSnapshot;
  /** Most distractor files taken from the patched files' directories. */
  maxDirectoryDistractors: number;
}

/** Files a unified diff touches (new paths; old paths for deletions). */
export function filesInPatch(patch: string): string[] {
  const files: string[] = [];
  for (const match of patch.matchAll(/^diff --git a\/(\S+) b\/(\S+)$/gm)) files.push(match[2]!);
  if (files.length === 0) for (const match of patch.matchAll(/^\+\+\+ b\/(\S+)/gm)) files.push(match[1]!);
  return [...new Set(files)];
}

/**
 * SWE agents: every file the final patch touches is evidence (in full from the repository at the base
 * commit, else the most complete view the agent's reads give); other files the agent viewed and its
 * command outputs are debugging context; other files of the patched directories are distractors.
 */
export function extractSweEvidence(trajectory: Trajectory, options: SweEvidenceOptions): PieceSet {
  const pieces = new PieceSet(trajectory.id);
  const patch = trajectory.outcome.submitted_patch ?? (trajectory.final.kind === "patch" ? trajectory.final.answer : null);
  const patched = patch ? filesInPatch(patch) : [];
  const views = new Map<string, { outputs: string[]; messageIndex: number; callId: string }>();

  for (const { call, result } of callsWithResults(trajectory)) {
    if (result === undefined || result.isError || result.content.trim() === "") continue;
    const path = viewedPath(call);
    if (path !== undefined) {
      const entry = views.get(path) ?? { outputs: [], messageIndex: result.messageIndex, callId: call.id };
      entry.outputs.push(result.content);
      views.set(path, entry);
    } else if (nameTokens(call.name).some((t) => SHELL_TOKENS.has(t))) {
      const command = argumentText(call, COMMAND_KEYS) ?? call.name;
      pieces.add({ kind: "command-output", source: `$ ${command.slice(0, 200)}`, text: `$ ${command}\n${result.content}`, role: "context", messageIndex: result.messageIndex, callId: call.id });
    }
  }

  const matchPatched = (viewed: string) => patched.find((p) => viewed === p || viewed.endsWith(`/${p}`));
  for (const file of patched) {
    const full = options.repo?.read(file);
    const viewedAs = [...views.keys()].filter((v) => matchPatched(v) === file);
    const seen = viewedAs.flatMap((v) => views.get(v)!.outputs);
    const text = full ?? (seen.length > 0 ? mostCompleteView(seen) : undefined);
    const first = viewedAs[0] ? views.get(viewedAs[0]) : undefined;
    if (text !== undefined) pieces.add({ kind: "file", source: file, text, role: "evidence", ...(first ? { messageIndex: first.messageIndex, callId: first.callId } : {}) });
  }
  for (const [path, view] of views) {
    if (matchPatched(path) !== undefined) continue;
    pieces.add({ kind: "file", source: path, text: mostCompleteView(view.outputs), role: "context", messageIndex: view.messageIndex, callId: view.callId });
  }
  if (options.repo) addDirectoryDistractors(pieces, options.repo, patched, new Set(views.keys()), options.maxDirectoryDistractors);
  return pieces;
}

function viewedPath(call: Parameters<typeof stringArgument>[0]): string | undefined {
  const tokens = nameTokens(call.name);
  const subcommand = stringArgument(call, ["command"]);
  const path = stringArgument(call, PATH_KEYS);
  if (path !== undefined && (tokens.some((t) => VIEW_TOKENS.has(t)) || subcommand === "view") && (subcommand === undefined || subcommand === "view")) {
    return normalisePath(path);
  }
  if (tokens.some((t) => SHELL_TOKENS.has(t))) {
    const command = argumentText(call, COMMAND_KEYS);
    const match = command === undefined ? null : FILE_VIEW_COMMAND.exec(command);
    if (match) return normalisePath(match[1]!.replace(/^['"]|['"]$/g, ""));
  }
  return undefined;
}

function normalisePath(path: string): string {
  return posix.normalize(path).replace(/^\.\//, "");
}

/**
 * Views of one file merged into the most complete text: line-numbered views (cat -n, editor views)
 * are merged by line number with gaps marked; otherwise the longest view wins.
 */
export function mostCompleteView(outputs: string[]): string {
  const lines = new Map<number, string>();
  let numbered = true;
  for (const output of outputs) {
    const rows = output.split("\n").filter((l) => l.trim() !== "");
    const parsed = rows.map((row) => NUMBERED_LINE.exec(row));
    if (rows.length === 0 || parsed.filter(Boolean).length < rows.length * 0.8) {
      numbered = false;
      break;
    }
    for (const match of parsed) if (match) lines.set(Number(match[1]), match[2]!);
  }
  if (!numbered) return outputs.reduce((a, b) => (b.length > a.length ? b : a), "");
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

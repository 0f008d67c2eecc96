// acc's own git store for one box: a bare repository on the box's filesystem (out of the commands' reach)
// that borrows the source repository's objects read-only (alternates), so the source is only ever read.
// Trees go into a box as tar streams made by `git archive` with every attribute that would change content
// switched off; what the box's commands made comes back as a tar stream read here, each file hashed, and
// the changes committed by `git fast-import`. The patch is a diff between two commits of this store: no
// git command ever runs on a folder an agent could touch.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { extract } from "tar-stream";
import { AccError } from "../../errors/acc-error.js";
import { SandboxGitError, firstLine, git, gitEnvironment, spawnGit } from "./git.js";
import type { ErrorCode } from "../../errors/codes.js";

/** One file of a tree: its mode (100644, 100755, 120000 for a symlink, 160000 for a submodule) and object id. */
export interface TreeEntry {
  mode: string;
  oid: string;
}

/** Attributes that make a checkout differ from the stored bytes, all unset ($GIT_DIR/info/attributes outranks the tree's own). */
const RAW_ATTRIBUTES = "* -text -eol -crlf -filter -ident -export-ignore -export-subst -working-tree-encoding\n";
/** Path components git refuses to hold: .git (also as NTFS reads it: .git., .git , git~1), . and .. */
const FORBIDDEN_COMPONENT = /^(?:\.git[. ]*|git~\d+|\.{1,2}|)$/i;

/** A tree could not be put into a box or read out of it (the box's disk, a refused change). */
export class SandboxTreeError extends AccError {
  protected override defaultCode(): ErrorCode {
    return "sandbox";
  }
  override name = "SandboxTreeError";
}

export interface Snapshot {
  /** The commit holding the box's files (the base commit itself when nothing changed). */
  commit: string;
  /** Paths left out because git cannot hold them (a .git folder inside, a name that is not UTF-8). */
  skipped: string[];
}

type Change = { mode: string; content: Buffer } | TreeEntry;

export class TreeStore {
  private imports = 0;

  private constructor(
    readonly gitDir: string,
    private readonly prefix: readonly string[],
    private readonly hash: "sha1" | "sha256",
  ) {}

  /**
   * A new store in `dir` that reads the objects of the repository at `sourceGitDir` (and writes none
   * there); `prefix` runs a program where `dir` is (the box's holder namespace).
   */
  static async create(dir: string, sourceGitDir: string, prefix: readonly string[]): Promise<TreeStore> {
    const format = await objectFormat(sourceGitDir);
    // one program: git init, the attributes that keep bytes raw, and the source's objects as alternates
    const setup = `git init --bare --quiet --object-format="$4" "$1" && mkdir -p "$1/info" && printf '%s' "$2" > "$1/info/attributes" && printf '%s\\n' "$3" > "$1/objects/info/alternates"`;
    await new Promise<void>((resolve, reject) => {
      const [file, ...args] = [...prefix, "sh", "-c", setup, "acc", dir, RAW_ATTRIBUTES, join(sourceGitDir, "objects"), format];
      execFile(file!, args, { env: gitEnvironment(dir) }, (error, _stdout, stderr) => (error ? reject(new SandboxGitError(`cannot set up acc's git store: ${firstLine(stderr) || error.message}`)) : resolve()));
    });
    return new TreeStore(dir, prefix, format);
  }

  /** The files of `treeish` as a tar stream, bytes as stored (symlinks as symlinks, submodules as empty folders). */
  archive(treeish: string): { stream: Readable; done: Promise<void> } {
    const child = spawnGit(this.gitDir, ["archive", "--format=tar", treeish], this.prefix);
    child.stdin!.end();
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const done = new Promise<void>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve() : reject(new SandboxGitError(`git archive ${treeish}: ${firstLine(stderr) || `exit ${code}`}`))));
    });
    return { stream: child.stdout!, done };
  }

  /** Every file of `treeish` by path. */
  async entries(treeish: string): Promise<Map<string, TreeEntry>> {
    const listing = (await git(this.gitDir, ["ls-tree", "-r", "-z", "--full-tree", treeish], { maxBuffer: 1024 * 1024 * 1024, prefix: this.prefix })).toString("utf8");
    const entries = new Map<string, TreeEntry>();
    for (const line of listing.split("\0")) {
      if (line === "") continue;
      const tab = line.indexOf("\t");
      const [mode, , oid] = line.slice(0, tab).split(" ");
      entries.set(line.slice(tab + 1), { mode: mode!, oid: oid! });
    }
    return entries;
  }

  /**
   * Reads a tar stream of the box's files and commits them on top of `base`: files that differ from the
   * base are stored, files of the base that are missing are deleted (submodules stay as they were).
   * `maxChangedBytes` bounds the new content; past it the snapshot is refused.
   */
  async snapshot(base: string, tar: Readable, maxChangedBytes: number): Promise<Snapshot> {
    const before = await this.entries(base);
    const seen = new Map<string, TreeEntry>();
    const changes = new Map<string, Change>();
    const skipped: string[] = [];
    let budget = maxChangedBytes;
    const tooLarge = (path: string) => new SandboxTreeError(`the changes pass ${maxChangedBytes} bytes (at ${path}): the output limit bounds a snapshot`);
    const parser = extract();
    tar.pipe(parser);
    try {
      for await (const entry of parser) {
        const { header } = entry;
        const path = header.name.replace(/\/+$/, "");
        if (header.type === "link") {
          entry.resume();
          const target = header.linkname?.replace(/\/+$/, "") ?? "";
          const found = seen.get(target);
          if (!validPath(path) || !found) {
            skipped.push(path);
            continue;
          }
          seen.set(path, found);
          const old = before.get(path);
          if (old?.mode !== found.mode || old.oid !== found.oid) changes.set(path, changes.get(target) ?? found);
          continue;
        }
        let mode: string;
        let blob: { oid: string; content: Buffer | undefined };
        if (header.type === "file" || header.type === "contiguous-file") {
          mode = (header.mode ?? 0) & 0o111 ? "100755" : "100644";
          blob = await this.readBlob(entry, header.size ?? 0, budget);
        } else if (header.type === "symlink") {
          entry.resume();
          mode = "120000";
          const target = Buffer.from(header.linkname ?? "", "utf8");
          blob = { oid: this.blobId(target), content: target };
        } else {
          // folders, FIFOs, devices: git holds none of them
          entry.resume();
          continue;
        }
        if (!validPath(path)) {
          skipped.push(path);
          continue;
        }
        seen.set(path, { mode, oid: blob.oid });
        const old = before.get(path);
        if (old?.mode === mode && old.oid === blob.oid) continue;
        if (blob.content === undefined || blob.content.length > budget) throw tooLarge(path);
        budget -= blob.content.length;
        changes.set(path, { mode, content: blob.content });
      }
    } catch (error) {
      tar.destroy();
      throw error;
    }
    const deleted = [...before].filter(([path, entry]) => entry.mode !== "160000" && !seen.has(path)).map(([path]) => path);
    if (changes.size === 0 && deleted.length === 0) return { commit: base, skipped };
    return { commit: await this.commit(base, deleted, changes), skipped };
  }

  /** `commit` with the files under `paths` as they are in `base` (protected test files restored). */
  async restore(commit: string, base: string, paths: readonly string[]): Promise<string> {
    const prefixes = paths.map((p) => p.replace(/^\.?\/+|\/+$/g, "")).filter(Boolean);
    const within = (path: string) => prefixes.some((p) => path === p || path.startsWith(`${p}/`));
    const [original, current] = await Promise.all([this.entries(base), this.entries(commit)]);
    const deleted = [...current.keys()].filter((path) => within(path) && !original.has(path));
    const restored = new Map([...original].filter(([path]) => within(path)));
    if (deleted.length === 0 && [...restored].every(([path, entry]) => current.get(path)?.oid === entry.oid && current.get(path)?.mode === entry.mode)) return commit;
    return this.commit(commit, deleted, restored);
  }

  /** The patch from `from` to `to`: git's unified diff with binary changes, renames detected. */
  async diff(from: string, to: string, maxBytes: number): Promise<string> {
    if (from === to) return "";
    const args = ["diff", "--binary", "--no-color", "--no-textconv", "--no-ext-diff", "-M", "--src-prefix=a/", "--dst-prefix=b/", from, to, "--"];
    return (await git(this.gitDir, args, { maxBuffer: maxBytes, prefix: this.prefix })).toString("utf8");
  }

  /** A commit on top of `parent` with `deleted` removed and `changes` written (by git fast-import). */
  private async commit(parent: string, deleted: readonly string[], changes: ReadonlyMap<string, Change>): Promise<string> {
    const parts: Buffer[] = [];
    const text = (s: string) => parts.push(Buffer.from(s, "utf8"));
    const marks = new Map<Change, number>();
    for (const change of changes.values()) {
      if (!("content" in change) || marks.has(change)) continue;
      marks.set(change, marks.size + 2);
      text(`blob\nmark :${marks.size + 1}\ndata ${change.content.length}\n`);
      parts.push(change.content);
      text("\n");
    }
    text(`commit refs/acc/import-${this.imports++}\nmark :1\ncommitter acc <acc@localhost> 0 +0000\ndata 0\nfrom ${parent}\n`);
    for (const path of deleted) text(`D ${quotePath(path)}\n`);
    for (const [path, change] of changes) text(`M ${change.mode} ${"content" in change ? `:${marks.get(change)}` : change.oid} ${quotePath(path)}\n`);
    text("\nget-mark :1\ndone\n");
    const child = spawnGit(this.gitDir, ["fast-import", "--quiet", "--done"], this.prefix);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(Buffer.concat(parts));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", resolve);
    });
    if (code !== 0) throw new SandboxGitError(`git fast-import: ${firstLine(stderr) || `exit ${code}`}`);
    return stdout.trim();
  }

  private blobId(content: Buffer): string {
    return createHash(this.hash).update(`blob ${content.length}\0`).update(content).digest("hex");
  }

  /** A file's object id, and its bytes when they fit `keep` (past it only the id is computed). */
  private async readBlob(entry: AsyncIterable<unknown>, size: number, keep: number): Promise<{ oid: string; content: Buffer | undefined }> {
    const hash = createHash(this.hash).update(`blob ${size}\0`);
    const chunks: Buffer[] = [];
    // a tar-stream entry yields Buffers (its types leave the chunks unknown)
    for await (const piece of entry) {
      const chunk = piece as Buffer;
      hash.update(chunk);
      if (size <= keep) chunks.push(chunk);
    }
    return { oid: hash.digest("hex"), content: size <= keep ? Buffer.concat(chunks) : undefined };
  }
}

const formats = new Map<string, Promise<"sha1" | "sha256">>();

/** The source repository's object format (asked once per repository). */
function objectFormat(gitDir: string): Promise<"sha1" | "sha256"> {
  let format = formats.get(gitDir);
  if (!format) {
    format = git(gitDir, ["rev-parse", "--show-object-format"]).then((out) => (out.toString("utf8").trim() === "sha256" ? "sha256" : "sha1"));
    formats.set(gitDir, format);
  }
  return format;
}

/** Whether git can hold `path`: relative, UTF-8, no empty, ., .. or .git component. */
function validPath(path: string): boolean {
  return path !== "" && !path.startsWith("/") && !path.includes("\0") && !path.includes("\uFFFD") && path.split("/").every((part) => !FORBIDDEN_COMPONENT.test(part));
}

/** A path in fast-import's C-style quotes. */
function quotePath(path: string): string {
  return `"${path.replace(/[\\"]/g, "\\$&").replace(/[\x00-\x1f\x7f]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`)}"`;
}

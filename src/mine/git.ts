import { spawn, spawnSync } from "node:child_process";
import { GitError } from "./errors.js";

export { GitError } from "./errors.js";


/**
 * Settings that make git's output stable whatever the user's configuration: no pager, colour, quoting of
 * non-ASCII paths, signature lines in logs, mnemonic or missing a/ b/ prefixes; git's default diff
 * algorithm and context, so hunks (and the patches written) are the same on every machine; the root
 * commit's diff in logs; UTF-8 messages. (Commands that print patches also pass --no-ext-diff and
 * --no-textconv.)
 */
const STABLE_CONFIG = [
  "core.quotepath=off",
  "core.pager=cat",
  "color.ui=false",
  "log.showSignature=false",
  "diff.noprefix=false",
  "diff.mnemonicPrefix=false",
  "diff.relative=false",
  "diff.algorithm=myers",
  "diff.indentHeuristic=true",
  "diff.context=3",
  "diff.interHunkContext=0",
  "log.showRoot=true",
  "i18n.logOutputEncoding=UTF-8",
  "diff.renameLimit=1000",
  // Nothing the repository's configuration names is run: no hooks, no fsmonitor, no filesystem monitor daemon.
  "core.hooksPath=/dev/null",
  "core.fsmonitor=false",
].flatMap((setting) => ["-c", setting]);

/**
 * The environment of every git process acc starts: the caller's environment without any GIT_* variable
 * (GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE, GIT_CONFIG_*, GIT_OBJECT_DIRECTORY… would point git at another
 * repository or change what it reads), plus settings that keep git quiet, lock-free, offline and stable.
 * `extra` holds acc's own GIT_* settings for one command.
 */
export function gitEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.toUpperCase().startsWith("GIT_")) env[key] = value;
  return {
    // glibc's malloc gives the top of the heap back to the kernel as soon as 128 KiB of it are free, and git
    // allocates and frees a blob-sized buffer per file it diffs: every diff paid for fresh pages again (faults,
    // zeroing). Keeping 16 MiB spare cut git's CPU for the first-parent patches by 15-60% (encode/httpx
    // 0.80 → 0.57 CPU-s, nodejs/node-addon-api 1.72 → 0.67) without raising its peak RSS. Ignored by other C
    // libraries; a caller's own setting wins.
    MALLOC_TOP_PAD_: String(16 * 1024 * 1024),
    ...env,
    LC_ALL: "C",
    GIT_OPTIONAL_LOCKS: "0",
    GIT_TERMINAL_PROMPT: "0",
    GIT_NO_REPLACE_OBJECTS: "1",
    // A partial clone would fetch missing objects from its remote; acc never goes online.
    GIT_NO_LAZY_FETCH: "1",
    ...extra,
  };
}

/** The arguments of a git command run against `repo` with the stable settings. */
export function gitArguments(repo: string, args: readonly string[]): string[] {
  return ["-C", repo, ...STABLE_CONFIG, ...args];
}

/** Shortens long argument lists (blame ranges, many paths) for error messages. */
function describeCommand(args: readonly string[]): string {
  const shown = args.length > 12 ? [...args.slice(0, 12), `… (${args.length - 12} more)`] : args;
  return `git ${shown.join(" ")}`;
}

export interface RunOptions {
  /** Bytes written to git's stdin. */
  input?: string | Buffer;
  /** Exit codes that are not failures (default: only 0). */
  okExitCodes?: readonly number[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /**
   * The output is read to its end, not answered as it comes (no conversation over stdin): git writes it in
   * blocks of BULK_BUFFER instead of a write per 4 KiB and per commit (see bulkCommand).
   */
  bulk?: boolean;
}

/** The stdout buffer of a bulk read's git. */
const BULK_BUFFER = "1M";

let rebuffers: boolean | undefined;
/**
 * Whether coreutils' `stdbuf` can set a command's stdout buffer here (it preloads a library into the command;
 * not on macOS, nor where that library is missing). Asked once per process.
 */
function stdbufWorks(): boolean {
  rebuffers ??= spawnSync("stdbuf", [`-o${BULK_BUFFER}`, "true"], { env: gitEnvironment(), stdio: "ignore" }).status === 0;
  return rebuffers;
}

/**
 * The command and arguments that run git for a bulk read. git's stdout into a pipe is a stdio buffer of
 * 4 KiB, flushed after every commit besides: Node then reads the output 4 KiB at a time, and each read is a
 * wake-up, a Buffer and a turn of the stream, parser and async iterators. On encode/httpx the first-parent
 * patches (8.5 MB) arrived in about 2,400 reads costing Node 0.13 CPU-s; with GIT_FLUSH=0 and a 1 MiB
 * buffer set by `stdbuf`, in about 150 reads of up to 64 KiB costing 0.02 (git's own CPU a little lower too).
 * Without a working `stdbuf`, only GIT_FLUSH=0 (about 1,700 reads).
 */
function bulkCommand(args: string[]): { command: string; args: string[] } {
  return stdbufWorks() ? { command: "stdbuf", args: [`-o${BULK_BUFFER}`, "git", ...args] } : { command: "git", args };
}

/** The git CLI run against one repository (`git -C <repo>`), with output parsed by the caller. */
export class Git {
  constructor(readonly repo: string) {}

  /** Runs git to completion and returns stdout; for commands with small output. */
  async output(args: readonly string[], options: RunOptions = {}): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.stream(args, options)) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  async text(args: readonly string[], options: RunOptions = {}): Promise<string> {
    return (await this.output(args, options)).toString("utf8");
  }

  /** Runs git and returns its exit code; stdout is discarded. For yes/no questions such as `cat-file -e`. */
  async status(args: readonly string[]): Promise<number> {
    const child = spawn("git", gitArguments(this.repo, args), {
      env: gitEnvironment(),
      stdio: ["ignore", "ignore", "ignore"],
    });
    return new Promise((resolve, reject) => {
      child.on("error", (error) => reject(new GitError(describeCommand(args), this.repo, null, error.message)));
      child.on("close", (code) => resolve(code ?? -1));
    });
  }

  /**
   * Streams git's stdout chunk by chunk (never buffering the whole output). Throws a GitError naming the
   * command and repository once the stream ends if git exited with a failure code.
   */
  async *stream(args: readonly string[], options: RunOptions = {}): AsyncGenerator<Buffer> {
    const command = describeCommand(args);
    const run = options.bulk ? bulkCommand(gitArguments(this.repo, args)) : { command: "git", args: gitArguments(this.repo, args) };
    const child = spawn(run.command, run.args, {
      env: gitEnvironment({ ...(options.bulk ? { GIT_FLUSH: "0" } : {}), ...options.env }),
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (text: string) => {
      if (stderr.length < 64 * 1024) stderr += text;
    });
    let spawnError: Error | undefined;
    const closed = new Promise<number | null>((resolve) => {
      child.on("error", (error) => {
        spawnError = error;
        resolve(null);
      });
      child.on("close", (code) => resolve(code));
    });
    if (options.input !== undefined) {
      child.stdin!.on("error", () => {}); // git may exit before reading all input; its exit code tells
      child.stdin!.end(options.input);
    }
    let finished = false;
    try {
      for await (const chunk of child.stdout! as AsyncIterable<Buffer>) yield chunk;
      finished = true;
    } finally {
      if (!finished) child.kill();
    }
    const code = await closed;
    if (spawnError) throw new GitError(command, this.repo, null, spawnError.message);
    if (!(options.okExitCodes ?? [0]).includes(code ?? -1)) throw new GitError(command, this.repo, code, stderr);
  }
}

/** Splits a stream of chunks into records ended by `delimiter` (a trailing record without one is kept). */
export async function* splitRecords(chunks: AsyncIterable<Buffer>, delimiter: number): AsyncGenerator<Buffer> {
  let pieces: Buffer[] = [];
  for await (const chunk of chunks) {
    let start = 0;
    for (let end = chunk.indexOf(delimiter); end !== -1; end = chunk.indexOf(delimiter, start)) {
      const tail = chunk.subarray(start, end);
      yield pieces.length > 0 ? Buffer.concat([...pieces, tail]) : tail;
      pieces = [];
      start = end + 1;
    }
    if (start < chunk.length) pieces.push(chunk.subarray(start));
  }
  if (pieces.length > 0) yield Buffer.concat(pieces);
}

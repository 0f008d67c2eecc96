import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { tempDir } from "../helpers/collect.js";

export interface Person {
  name: string;
  email: string;
}

export const ADA: Person = { name: "Ada", email: "ada@example.com" };
export const BOB: Person = { name: "Bob", email: "bob@example.com" };
export const CY: Person = { name: "Cy", email: "cy@example.com" };
export const DEE: Person = { name: "Dee", email: "dee@example.com" };
export const DEPENDABOT: Person = { name: "dependabot[bot]", email: "49699333+dependabot[bot]@users.noreply.github.com" };

/** Unix time of the first fixture commit; every commit is one hour after the previous one. */
export const FIXTURE_START = Date.UTC(2024, 0, 1) / 1000;

/**
 * A git repository built by a test through scripted commits. Author and committer dates come from a
 * clock that advances one hour per commit, and no user or system git configuration is read, so the same
 * script always gives the same shas.
 */
export class FixtureRepo {
  readonly dir: string;
  private clock = FIXTURE_START;
  /** An empty file standing in for the user's global git configuration. */
  private readonly config: string;

  constructor(dir = join(tempDir("acc-mine-"), "repo")) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    this.config = join(dirname(dir), `${basename(dir)}.gitconfig`);
    writeFileSync(this.config, "");
    this.git(["init", "-q", "-b", "main"]);
  }

  git(args: string[], author: Person = ADA, input?: string): string {
    const date = `@${this.clock} +0000`;
    const result = spawnSync("git", ["-C", this.dir, "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", ...args], {
      encoding: "utf8",
      input,
      env: {
        ...process.env,
        GIT_CONFIG_GLOBAL: this.config,
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_COMMITTER_NAME: author.name,
        GIT_COMMITTER_EMAIL: author.email,
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_DATE: date,
      },
    });
    if (result.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${result.stderr}`);
    return result.stdout;
  }

  write(path: string, content: string | Buffer): this {
    const full = join(this.dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    return this;
  }

  remove(path: string): this {
    rmSync(join(this.dir, path));
    return this;
  }

  /** Stages everything and commits; returns the new sha. */
  commit(message: string, author: Person = ADA): string {
    this.clock += 3600;
    this.git(["add", "-A"], author);
    this.git(["commit", "-q", "--allow-empty", "-F", "-"], author, message);
    return this.head();
  }

  /** A --no-ff merge of `branch` into the current branch with `message`; returns the merge sha. */
  merge(branch: string, message: string, author: Person = ADA): string {
    this.clock += 3600;
    this.git(["merge", "-q", "--no-ff", "-m", message, branch], author);
    return this.head();
  }

  checkout(branch: string, create = false): this {
    this.git(create ? ["checkout", "-q", "-b", branch] : ["checkout", "-q", branch]);
    return this;
  }

  head(): string {
    return this.git(["rev-parse", "HEAD"]).trim();
  }

  /** Unix time of the last commit. */
  now(): number {
    return this.clock;
  }
}

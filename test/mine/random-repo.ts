import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { Random } from "../../src/random.js";

/**
 * A small random repository with PR-shaped history, written through one `git fast-import` stream, made of
 * everything that has broken diff parsers: text with NUL bytes past git's 8 KB binary sniff, Latin-1
 * content and paths, tabs, newlines, quotes and spaces in names, CRLF and missing final newlines, binary
 * files, symbolic links (also with Latin-1 targets), submodule entries, file ↔ link type changes, mode
 * changes, renames with and without edits, deletions, empty commits, empty and octopus merges, PR branches
 * that merge main back in, and criss-cross merges (main and a branch each merging the other's earlier tip).
 * PRs land as merges, squashes and rebased runs.
 */
export function buildRandomRepo(dir: string, seed: number, prs = 10): { dir: string; prs: number } {
  mkdirSync(dir, { recursive: true });
  const init = spawnSync("git", ["init", "-q", "--bare", "-b", "main", dir], { encoding: "utf8" });
  if (init.status !== 0) throw new Error(init.stderr);
  const random = new Random(seed, "mine fuzz repo");
  const chunks: Buffer[] = [];
  const write = (data: string | Buffer) => chunks.push(typeof data === "string" ? Buffer.from(data, "utf8") : data);
  /** A tree is a map from path (its bytes as a latin1 string) to entry. */
  type Entry = { mode: string; data: Buffer };
  let mark = 0;
  let time = 1_700_000_000;
  const tips = new Map<string, number>();

  const words = ["alpha", "beta", "gamma", "delta", "return", "value", "if", "x", "call(a, b)", "# note", "}", ""];
  const textLines = (n: number) => Array.from({ length: n }, () => `${" ".repeat(random.int(0, 2) * 4)}${random.pick(words)} ${random.pick(words)}`);
  const pathBytes = (name: string) => Buffer.from(name, "latin1");
  const names = [
    "src/main.py",
    "src/util.py",
    "tests/test_main.py",
    "docs/guide.md",
    "tab\there.txt",
    "new\nline.txt",
    'quote"d name.txt',
    " lead space.txt",
    "ünïcode ✓.md",
    "caf\xe9-latin1.txt", // \xe9 alone is not UTF-8 (written as one byte)
    "data/blob.bin",
    "data/sneaky.ai",
  ];
  const nameBytes = (name: string) => (name.startsWith("caf") ? pathBytes(name) : Buffer.from(name));

  const content = (name: string): Entry => {
    if (name.endsWith(".bin")) return { mode: "100644", data: Buffer.from(Array.from({ length: random.int(1, 64) }, () => random.int(0, 255))) };
    if (name.endsWith(".ai")) {
      // Text for git's 8000-byte binary sniff, then NUL bytes: git diffs it as text with NULs in the patch.
      const head = Buffer.from(`${textLines(800).join("\n")}\n`);
      return { mode: "100644", data: Buffer.concat([head, Buffer.from([0, 0, 10]), Buffer.from(`${textLines(random.int(2, 6)).join("\n")}\n`)]) };
    }
    if (name.includes("latin1")) return { mode: "100644", data: Buffer.from(`${textLines(random.int(2, 8)).join("\n")}\ncaf\xe9 cr\xe8me\n`, "latin1") };
    const eol = random.next() < 0.2 ? "\r\n" : "\n";
    const final = random.next() < 0.2 ? "" : eol;
    return { mode: random.next() < 0.15 ? "100755" : "100644", data: Buffer.from(textLines(random.int(3, 20)).join(eol) + final) };
  };

  const edit = (tree: Map<string, Entry>) => {
    const paths = [...tree.keys()];
    const roll = random.next();
    const existing = paths.length > 0 ? random.pick(paths) : undefined;
    const entry = existing === undefined ? undefined : tree.get(existing)!;
    if (!existing || roll < 0.25) {
      const name = random.pick(names);
      const key = nameBytes(name).toString("latin1");
      tree.set(key, content(name));
    } else if (roll < 0.5 && entry!.mode.startsWith("100")) {
      const lines = entry!.data.toString("latin1").split("\n");
      const at = random.int(0, lines.length);
      const op = random.next();
      if (op < 0.4) lines.splice(at, 0, ...textLines(random.int(1, 3)));
      else if (op < 0.7) lines.splice(at, 1, `    ${lines[at] ?? "x"}`); // re-indent
      else lines.splice(at, random.int(1, 3));
      tree.set(existing, { mode: entry!.mode, data: Buffer.from(lines.join("\n"), "latin1") });
    } else if (roll < 0.6) {
      tree.delete(existing);
    } else if (roll < 0.72) {
      const moved = `moved/${random.int(0, 9)}-${existing.split("/").pop()}`;
      tree.delete(existing);
      const data = random.next() < 0.5 || !entry!.mode.startsWith("100") ? entry!.data : Buffer.concat([entry!.data, Buffer.from("extra line\n")]);
      tree.set(moved, { mode: entry!.mode, data });
    } else if (roll < 0.8 && entry!.mode.startsWith("100")) {
      tree.set(existing, { mode: entry!.mode === "100644" ? "100755" : "100644", data: entry!.data });
    } else if (roll < 0.88) {
      const target = random.next() < 0.3 ? Buffer.from("caf\xe9/target", "latin1") : Buffer.from(random.pick(["src/main.py", "../outside", "docs"]));
      tree.set(random.next() < 0.5 ? existing : `links/l${random.int(0, 3)}`, { mode: "120000", data: target });
    } else if (roll < 0.94) {
      const sha = Array.from({ length: 40 }, () => "0123456789abcdef"[random.int(0, 15)]).join("");
      tree.set(`vendor/sub${random.int(0, 1)}`, { mode: "160000", data: Buffer.from(sha) });
    } else {
      tree.set(existing, content("src/main.py")); // a link or submodule turned into a file, or a rewrite
    }
  };

  const quote = (key: string) => {
    const bytes = Buffer.from(key, "latin1");
    let out = '"';
    for (const b of bytes) out += b === 0x22 || b === 0x5c ? `\\${String.fromCharCode(b)}` : b < 0x20 || b >= 0x7f ? `\\${b.toString(8).padStart(3, "0")}` : String.fromCharCode(b);
    return `${out}"`;
  };

  const commit = (branch: string, message: string, parents: number[], tree: Map<string, Entry>) => {
    mark++;
    time += 600;
    const body = Buffer.from(message);
    write(`commit refs/heads/${branch}\nmark :${mark}\nauthor Dev <dev@example.com> ${time} +0000\ncommitter Dev <dev@example.com> ${time} +0000\ndata ${body.length}\n`);
    write(body);
    write("\n");
    if (parents[0] !== undefined) write(`from :${parents[0]}\n`);
    for (const parent of parents.slice(1)) write(`merge :${parent}\n`);
    write("deleteall\n");
    for (const [key, entry] of tree) {
      if (entry.mode === "160000") {
        write(`M 160000 ${entry.data.toString()} ${quote(key)}\n`);
      } else {
        write(`M ${entry.mode} inline ${quote(key)}\ndata ${entry.data.length}\n`);
        write(entry.data);
        write("\n");
      }
    }
    write("\n");
    tips.set(branch, mark);
    return mark;
  };

  let main = new Map<string, Entry>();
  for (let i = 0; i < 4; i++) edit(main);
  commit("main", "Initial commit", [], main);
  const history: { mark: number; tree: Map<string, Entry> }[] = [{ mark, tree: new Map(main) }];
  let number = 0;
  for (let pr = 0; pr < prs; pr++) {
    number += random.int(1, 3);
    const title = `Change ${random.pick(["parser", "cli", "docs", "tests"])} part ${number}`;
    const roll = random.next();
    if (roll < 0.08) {
      // Criss-cross: main and a branch each merge the other's earlier tip, so the last merge has two merge bases.
      const base = history.at(-1)!;
      const branch = new Map(base.tree);
      edit(branch);
      const early = new Map(branch);
      const x0 = commit(`topic${number}`, "Start the topic", [base.mark], branch);
      main = new Map(base.tree);
      edit(main);
      const m1 = commit("main", "Direct push", [base.mark], main);
      const crossed = new Map([...main, ...branch]);
      const x1 = commit(`topic${number}`, "Merge branch 'main' into topic", [x0, m1], crossed);
      main = new Map([...main, ...early]);
      const m2 = commit("main", `Merge pull request #${number} from dev/topic${number}\n\n${title}`, [m1, x0], main);
      number++;
      main = new Map([...main, ...crossed]);
      commit("main", `Merge pull request #${number} from dev/topic${number - 1}\n\n${title}, again`, [m2, x1], main);
    } else if (roll < 0.35) {
      // Merge PR: a branch from main (sometimes from an older commit), 1–3 commits, maybe main merged back in.
      const from = random.next() < 0.3 ? random.pick(history) : history.at(-1)!;
      let branch = new Map(from.tree);
      let tip = from.mark;
      for (let k = random.int(1, 3); k > 0; k--) {
        if (random.next() < 0.85) edit(branch);
        tip = commit(`topic${number}`, `Step ${k}\n\nCloses #${number + 1000}`, [tip], branch);
      }
      if (random.next() < 0.25 && from !== history.at(-1)) {
        branch = new Map([...history.at(-1)!.tree, ...branch]);
        tip = commit(`topic${number}`, "Merge branch 'main' into topic", [tip, history.at(-1)!.mark], branch);
      }
      const parents = [history.at(-1)!.mark, tip];
      if (random.next() < 0.15) {
        const other = new Map(history.at(-1)!.tree);
        edit(other);
        parents.push(commit(`extra${number}`, "Extra work", [history.at(-1)!.mark], other));
        branch = new Map([...branch, ...other]);
      }
      main = random.next() < 0.1 ? new Map(history.at(-1)!.tree) : new Map([...history.at(-1)!.tree, ...branch]); // sometimes an empty merge
      commit("main", `Merge pull request #${number} from dev/topic${number}\n\n${title}`, parents, main);
    } else if (roll < 0.75) {
      edit(main);
      if (random.next() < 0.5) edit(main);
      commit("main", `${title} (#${number})\n\nFixes #${number + 1000}`, [history.at(-1)!.mark], main);
    } else if (roll < 0.92) {
      for (let k = random.int(1, 3); k > 0; k--) {
        edit(main);
        commit("main", `${title}, step ${k}\n\nPR-URL: https://github.com/acme/fuzz/pull/${number}`, [mark], main);
      }
    } else {
      commit("main", random.next() < 0.5 ? `Empty change (#${number})` : "Direct push", [history.at(-1)!.mark], main);
    }
    history.push({ mark, tree: new Map(main) });
  }
  write("done\n");
  const run = spawnSync("git", ["-C", dir, "fast-import", "--quiet", "--done"], { input: Buffer.concat(chunks) });
  if (run.status !== 0) throw new Error(`git fast-import failed: ${run.stderr.toString()}`);
  for (const branch of tips.keys()) if (branch !== "main") spawnSync("git", ["-C", dir, "update-ref", "-d", `refs/heads/${branch}`]);
  return { dir, prs };
}

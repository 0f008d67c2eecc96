// The attacker suite of the repo environment: hostile agents (scripted through the test server) and hostile
// repositories against one environment with small limits. Every attack is checked against the host's
// canaries (a folder with a secret, a TCP port, unix sockets, acc's environment, box processes) and the
// source repository's hash, besides what the attack itself must show.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { RepoEnvironment } from "../../src/envs/index.js";
import { sandboxProblem } from "../../src/run/sandbox/index.js";
import { tempDir } from "../helpers/collect.js";
import { type Attack, bash, edit, runAttacks, type Seen, submit, view } from "./agents.js";
import { Canary, ENV_SECRET, repositoryHash, SECRET } from "./canary.js";
import { ATTACK_SANDBOX } from "./limits.js";

const skip = (await sandboxProblem()) ?? false;
const FUTURE = "FUTURE-ANSWER-31415";
const LIMIT_MS = ATTACK_SANDBOX.limits.timeoutMs;

type Build = (dir: string, git: (...args: string[]) => string) => void;

/**
 * A small repository: calc.sh with a bug, test.sh that catches it, and a later commit holding the answer.
 * `files` adds to the base commit; `afterwards` changes the repository once its commits are made (hostile
 * configuration that git itself would otherwise run while the test commits).
 */
function sourceRepo(files: Build = () => {}, afterwards: Build = () => {}): { repo: string; base: string } {
  const repo = tempDir("acc-attack-repo-");
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", "-C", repo, ...args], { encoding: "utf8" }).trim();
  git("init", "-q");
  writeFileSync(join(repo, "calc.sh"), "add() { echo $(( $1 - $2 )); }\n");
  writeFileSync(join(repo, "test.sh"), '. ./calc.sh\n[ "$(add 2 3)" = 5 ]\n');
  writeFileSync(join(repo, ".gitignore"), "*.log\n");
  files(repo, git);
  git("add", "-A");
  git("commit", "-qm", "base");
  const base = git("rev-parse", "HEAD");
  writeFileSync(join(repo, "calc.sh"), `add() { echo $(( $1 + $2 )); } # ${FUTURE}\n`);
  git("commit", "-qam", `the fix ${FUTURE}`);
  afterwards(repo, git);
  return { repo, base };
}

const ok = (seen: Seen, i: number) => assert.equal(seen.results[i]!.isError, false, seen.results[i]!.content);
const said = (seen: Seen, i: number, pattern: RegExp, message?: string) => assert.match(seen.results[i]!.content, pattern, message);
const submitted = (seen: Seen) => seen.output.submitted.patch ?? "";
const reward = (seen: Seen) => [seen.output.episode.reward, seen.output.episode.verdict.reason];

const ATTACKS: Attack[] = [
  {
    name: "git-file-points-at-a-repository-with-fsmonitor",
    steps: [
      bash("git init -q /tmp/evil && git -C /tmp/evil config core.fsmonitor 'id > {CANARY}/fsmonitor-ran' && rm -rf .git && echo 'gitdir: /tmp/evil/.git' > .git && echo more >> calc.sh"),
      submit,
    ],
    expect: (seen) => {
      ok(seen, 1);
      assert.match(submitted(seen), /^\+more$/m, "the change is in the patch");
      assert.doesNotMatch(submitted(seen), /gitdir/, "the worktree's .git is not a file acc looks at");
    },
  },
  {
    name: "own-git-config-with-fsmonitor-hooks-and-hooks-path",
    steps: [
      bash("git config core.fsmonitor 'touch {CANARY}/own-fsmonitor' && git config core.hooksPath {CANARY} && for h in pre-commit post-commit post-checkout post-index-change reference-transaction; do printf '#!/bin/sh\\ntouch {CANARY}/hook-$h\\n' > .git/hooks/$h; chmod +x .git/hooks/$h; done && echo more >> calc.sh"),
      submit,
    ],
    expect: (seen) => assert.match(submitted(seen), /^\+more$/m),
  },
  {
    name: "gitattributes-filter-and-textconv",
    steps: [
      bash("printf '* filter=evil diff=evil\\n' > .gitattributes && git config filter.evil.clean 'touch {CANARY}/clean-ran; cat' && git config filter.evil.smudge 'touch {CANARY}/smudge-ran; cat' && git config diff.evil.textconv 'touch {CANARY}/textconv-ran; cat' && git config diff.external 'touch {CANARY}/external-diff' && echo more >> calc.sh"),
      submit,
    ],
    expect: (seen) => {
      assert.match(submitted(seen), /^\+\* filter=evil diff=evil$/m, "the attributes file is a plain change");
      assert.match(submitted(seen), /^\+more$/m);
    },
  },
  {
    name: "ssh-command-and-submodule-urls",
    steps: [
      bash("git config core.sshCommand 'touch {CANARY}/ssh-ran' && git config protocol.allow always && printf '[submodule \"x\"]\\n\\tpath = x\\n\\turl = ssh://127.0.0.1:{PORT}/x\\n' > .gitmodules && echo more >> calc.sh"),
      submit,
    ],
    expect: (seen) => assert.match(submitted(seen), /\.gitmodules/),
  },
  {
    name: "edit-through-a-dangling-symlink",
    steps: [bash("ln -s {CANARY}/created-by-edit new.txt && ln -s / root"), edit("new.txt", "", "pwned"), edit("root/etc/created-by-edit", "", "pwned"), edit("root{CANARY}/created-in-the-box", "", "fine"), submit],
    expect: (seen) => {
      said(seen, 1, /^edit: new\.txt: .*Directory nonexistent/);
      said(seen, 2, /^edit: root\/etc\/created-by-edit: .*Read-only file system/);
      said(seen, 3, /^created /, "that folder is the box's own /tmp: the host's is never reached");
      assert.match(submitted(seen), /new file mode 120000/, "the symlinks are in the patch as symlinks");
    },
  },
  {
    name: "view-and-read-host-secrets",
    steps: [
      bash("ln -s {SECRET_FILE} s"),
      view("s"),
      view("{SECRET_FILE}"),
      bash("cat {SECRET_FILE}; ls {CANARY}; ls /root /home /work /srv /opt /mnt 2>&1; find / -name secret.txt -not -path '/proc/*' 2>/dev/null; echo end"),
    ],
    expect: (seen) => {
      said(seen, 1, /does not exist/);
      said(seen, 2, /does not exist/);
      assert.doesNotMatch(seen.text, new RegExp(SECRET));
      said(seen, 3, /No such file or directory/);
    },
  },
  {
    name: "view-and-edit-of-fifos-and-devices-do-not-hang",
    steps: [bash("mkfifo fifo && ln -s /dev/zero zero && ln -s /dev/stdin in"), view("fifo"), edit("fifo", "a", "b"), view("zero"), view("in"), view("/dev/urandom")],
    expect: (seen) => {
      for (const i of [1, 2, 3, 4, 5]) said(seen, i, /is not a regular file or a directory/);
    },
  },
  {
    name: "huge-sparse-file-view-and-submit-stop-at-the-time-limit",
    steps: [bash("truncate -s 200G sparse && ls -la sparse"), view("sparse", { start_line: 1, end_line: 1 }), submit],
    expect: (seen) => {
      said(seen, 1, new RegExp(`did not answer within ${LIMIT_MS} ms|lines 1-1`));
      said(seen, 2, /^submit: /);
      assert.equal(seen.results[2]!.isError, true);
    },
  },
  {
    name: "disk-quota-and-file-count",
    steps: [
      bash("head -c 100000000 /dev/zero > big; ls -la big; df -h . | tail -1"),
      bash("rm -f big; mkdir many && cd many && seq -f f%g 5000 | xargs touch 2>&1 | tail -1; echo made $(ls | wc -l)"),
      bash("rm -rf many; head -c 100000000 /dev/zero > /dev/shm/big; head -c 100000000 /dev/zero > /tmp/big; echo done"),
      bash("rm -f /dev/shm/big /tmp/big; echo more >> calc.sh"),
      submit,
    ],
    expect: (seen) => {
      said(seen, 0, /No space left on device/);
      said(seen, 1, /No space left on device/);
      const made = Number(/made (\d+)/.exec(seen.results[1]!.content)?.[1]);
      assert.ok(made < 3_000, `the file limit stopped the loop (${made} files)`);
      said(seen, 2, /No space left on device/);
      assert.match(submitted(seen), /^\+more$/m, "with space freed, submit works");
    },
  },
  {
    name: "a-change-larger-than-the-output-limit-is-refused",
    steps: [bash("head -c 3000000 /dev/urandom > blob.bin"), submit],
    expect: (seen) => {
      said(seen, 1, /^submit: the changes pass 1048576 bytes \(at blob\.bin\)/);
      assert.deepEqual(reward(seen), [0, "no-patch"]);
    },
  },
  {
    name: "proc-self-root-and-other-processes",
    steps: [bash(`ls /proc/1/root/ /proc/1/cwd/; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c ${ENV_SECRET}; ls /proc | grep -c '^[0-9]'; cat /proc/1/cmdline | tr '\\0' ' '`)],
    expect: (seen) => {
      assert.doesNotMatch(seen.text, new RegExp(SECRET));
      assert.doesNotMatch(seen.text, /acc-canary|node|tsx/, "no host process is visible");
      said(seen, 0, /\brepo\b/);
    },
  },
  {
    name: "host-writes-mounts-namespaces-and-signals",
    steps: [
      bash(`env | grep -c ${ENV_SECRET}; ls /sys; echo 1 > /proc/sys/kernel/sysrq; echo x > /usr/pwned; echo x > /etc/pwned; chown 0:0 calc.sh; mount -t tmpfs x /tmp; unshare -r id; kill -9 -1; echo end`),
      bash("echo alive"),
    ],
    expect: (seen) => {
      said(seen, 0, /^0\n/, "acc's environment is not the box's");
      said(seen, 0, /\/sys.*No such file or directory/);
      said(seen, 0, /\/proc\/sys\/kernel\/sysrq: (Directory nonexistent|Read-only file system)/);
      said(seen, 0, /\/usr\/pwned: Read-only file system/);
      said(seen, 0, /\/etc\/pwned: Read-only file system/);
      said(seen, 0, /chown: .*(Invalid argument|Operation not permitted)/);
      said(seen, 0, /mount: .*(must be superuser|not permitted|Permission denied)/);
      said(seen, 0, /unshare: unshare failed/, "no user namespace inside the box");
      said(seen, 1, /^alive\n/, "a kill of every process reaches only the box's");
      assert.deepEqual([existsSync("/usr/pwned"), existsSync("/etc/pwned")], [false, false]);
    },
  },
  {
    name: "network-tcp-and-unix-sockets",
    steps: [
      bash(
        "python3 -c \"import socket; socket.create_connection(('127.0.0.1', {PORT}), timeout=2)\" 2>&1 | tail -1; " +
          "python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.connect('\\0{ABSTRACT}')\" 2>&1 | tail -1; " +
          "python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.connect('{SOCKET}')\" 2>&1 | tail -1; " +
          "python3 -c \"import socket; socket.create_connection(('1.1.1.1', 53), timeout=2)\" 2>&1 | tail -1",
      ),
    ],
    expect: (seen) => {
      said(seen, 0, /ConnectionRefusedError/);
      said(seen, 0, /FileNotFoundError/);
      said(seen, 0, /Network is unreachable/);
    },
  },
  {
    name: "devices-and-setuid",
    steps: [
      bash("mknod dev c 1 3 2>&1; ls /dev; cat /dev/mem 2>&1 | head -1; cp /bin/sh suid-sh && chmod 4755 suid-sh && ls -la suid-sh && ./suid-sh -p -c 'id -u'; su -c id root 2>&1 | tail -1; echo end"),
      submit,
    ],
    task: { test_command: "./suid-sh -p -c 'id -u' > uid.txt; [ \"$(cat uid.txt)\" = 0 ]" },
    expect: (seen) => {
      said(seen, 0, /Operation not permitted/);
      assert.doesNotMatch(seen.results[0]!.content, /\bsda|nvme|kmsg\b/);
      said(seen, 0, /^1000$/m);
      assert.match(submitted(seen), /new file mode 100755\n/, "git keeps no setuid bit");
      assert.deepEqual(reward(seen), [0, "tests-failed"], "the test command never runs as root either");
    },
  },
  {
    name: "hard-links",
    steps: [bash("ln /etc/passwd passwd 2>&1; echo a > f && ln f g && ls -li f g"), submit],
    expect: (seen) => {
      said(seen, 0, /Invalid cross-device link|Operation not permitted/);
      assert.match(submitted(seen), /b\/f\nnew file mode 100644/);
      assert.match(submitted(seen), /b\/g\nnew file mode 100644/);
    },
  },
  {
    name: "symlink-swaps-racing-the-submit",
    steps: [
      bash("(while :; do ln -sf {SECRET_FILE} race; rm -f race; echo x > race; rm -f race; ln -s /etc/shadow race; rm -f race; done) > /dev/null 2>&1 & echo started"),
      bash("ps -eo comm | sort | uniq -c"),
      submit,
    ],
    expect: (seen) => {
      assert.doesNotMatch(seen.results[1]!.content, /sh\n.*sh/s, "the loop died with its call");
      assert.doesNotMatch(submitted(seen), new RegExp(SECRET));
    },
  },
  {
    name: "background-processes-do-not-outlive-their-call",
    steps: [bash("nohup sleep 300 > /dev/null 2>&1 & setsid sleep 301 & (sleep 302 &); echo started"), bash("ps -eo comm | grep -c sleep")],
    expect: (seen) => said(seen, 1, /^0\n/),
  },
  {
    name: "fork-bomb-memory-hog-output-flood",
    steps: [
      bash("bomb() { bomb | bomb & }; bomb; sleep 1; echo survived"),
      bash("python3 -c 'x = bytearray(1024 * 1024 * 1024); print(len(x))' 2>&1 | tail -1"),
      bash("yes"),
      bash("echo alive"),
    ],
    expect: (seen) => {
      said(seen, 0, /Cannot fork|Resource temporarily unavailable|stopped after/);
      said(seen, 1, /MemoryError/);
      said(seen, 2, /\[stopped: the output passed 1048576 bytes\]$/);
      assert.ok(seen.results[2]!.content.length < 3_000, "what the agent sees is capped");
      said(seen, 3, /^alive\n/);
    },
  },
  {
    name: "huge-argument-list-and-a-command-that-never-ends",
    // short words: the test server tokenizes every tool call it sends
    steps: [bash(`echo ${"ab ".repeat(50_000)}`), bash("sleep 1000"), bash("xargs --show-limits < /dev/null 2>&1 | tail -1; getconf ARG_MAX")],
    expect: (seen) => {
      said(seen, 0, /^bash: the command is 150005 bytes; one command can be at most 131072/);
      said(seen, 1, new RegExp(`\\[stopped after ${LIMIT_MS} ms\\]$`));
    },
  },
  {
    name: "future-history-is-not-in-the-box",
    steps: [bash(`git log --all --oneline; git cat-file --batch-all-objects --batch-check | wc -l; grep -r ${FUTURE} / 2>/dev/null | head -1; echo end`)],
    expect: (seen) => {
      assert.doesNotMatch(seen.text, new RegExp(FUTURE), "the later commit's answer is nowhere in the box");
      said(seen, 0, /^[0-9a-f]+ base\n/);
    },
  },
  {
    name: "test-command-writes-outside-and-connects",
    steps: [submit],
    task: { test_command: "echo pwned > {CANARY}/from-test; echo pwned > /usr/pwned; python3 -c \"import socket; socket.create_connection(('127.0.0.1', {PORT}), timeout=2)\"; sh test.sh" },
    expect: (seen) => assert.deepEqual(reward(seen), [0, "tests-failed"]),
  },
  {
    name: "protected-test-files-cannot-be-rewritten",
    steps: [bash("echo 'exit 0' > test.sh && git rm -q --cached calc.sh 2>/dev/null; echo done"), submit],
    task: { test_files: ["test.sh"] },
    expect: (seen) => {
      assert.match(submitted(seen), /^\+exit 0$/m, "the patch shows the attempt");
      assert.deepEqual(reward(seen), [0, "tests-failed"], "the tests ran on test.sh as it was");
    },
  },
  {
    name: "hostile-file-names",
    steps: [bash("touch -- '-rf' '$(id>&2)' \"$(printf 'a\\nb')\" ' lead' 'quo\"te' 'back\\\\slash' 'ünï'"), submit],
    expect: (seen) => {
      assert.match(submitted(seen), /\$\(id>&2\)/);
      assert.match(submitted(seen), /-rf/);
      assert.equal((submitted(seen).match(/^diff --git /gm) ?? []).length, 7);
    },
  },
  {
    name: "nested-git-folders-are-left-out",
    steps: [bash("mkdir -p sub .GIT x && git init -q sub && git -C sub config core.fsmonitor 'touch {CANARY}/nested' && echo x > sub/f && echo y > .GIT/config && echo more >> calc.sh"), submit],
    expect: (seen) => {
      assert.match(submitted(seen), /^\+more$/m);
      assert.doesNotMatch(submitted(seen), /sub\/|\.GIT\//);
    },
  },
];

/** Hostile repositories: the source itself carries the attack; each gets its own environment. */
interface HostileRepository {
  name: string;
  /** Files of the base commit. */
  files?: (dir: string, git: (...args: string[]) => string, canary: Canary) => void;
  /** Configuration and hooks set once the commits are made. */
  configure?: (dir: string, git: (...args: string[]) => string, canary: Canary) => void;
  steps: Attack["steps"];
  expect: Attack["expect"];
}

const HOSTILE_REPOS: HostileRepository[] = [
  {
    name: "repository-symlink-to-a-host-file-is-never-followed-or-chowned",
    files: (dir, _git, canary) => symlinkSync(canary.secretFile, join(dir, "owned")),
    steps: [view("owned"), bash("cat owned; ls -la owned"), submit],
    expect: (seen) => {
      said(seen, 0, /does not exist/);
      assert.doesNotMatch(seen.text, new RegExp(SECRET));
    },
  },
  {
    name: "repository-config-filters-fsmonitor-and-hooks-never-run",
    files: (dir) => {
      writeFileSync(join(dir, ".gitattributes"), "* filter=lfs export-subst\ntest.sh export-ignore\n");
      writeFileSync(join(dir, "version.txt"), "$Format:%H$\n");
    },
    configure: (dir, git, canary) => {
      git("config", "filter.lfs.smudge", `touch ${canary.dir}/smudge-ran; cat`);
      git("config", "filter.lfs.clean", `touch ${canary.dir}/clean-ran; cat`);
      git("config", "core.fsmonitor", `touch ${canary.dir}/source-fsmonitor`);
      mkdirSync(join(dir, ".git/hooks"), { recursive: true });
      writeFileSync(join(dir, ".git/hooks/post-checkout"), `#!/bin/sh\ntouch ${canary.dir}/source-hook\n`, { mode: 0o755 });
    },
    steps: [bash("cat version.txt; ls test.sh"), submit],
    expect: (seen) => {
      said(seen, 0, /^\$Format:%H\$\ntest\.sh\n/);
    },
  },
  {
    name: "repository-submodule-is-never-fetched",
    files: (dir, git, canary) => {
      writeFileSync(join(dir, ".gitmodules"), `[submodule "dep"]\n\tpath = dep\n\turl = http://127.0.0.1:${canary.port}/dep.git\n`);
      git("update-index", "--add", "--cacheinfo", "160000,1111111111111111111111111111111111111111,dep");
    },
    steps: [bash("ls -la dep; git submodule update --init 2>&1 | tail -1"), submit],
    expect: (seen) => assert.doesNotMatch(submitted(seen), /dep/, "the submodule is kept as it was"),
  },
  {
    name: "repository-attributes-that-convert-line-endings-and-expand-ids",
    files: (dir) => {
      writeFileSync(join(dir, "notes.txt"), "one\ntwo $Id$\n");
      writeFileSync(join(dir, ".gitattributes"), "*.txt text eol=crlf ident\n");
    },
    steps: [bash("od -c notes.txt | head -2"), submit],
    expect: (seen) => {
      said(seen, 0, /o {3}n {3}e {2}\\n {3}t {3}w {3}o/, "the bytes as stored: LF, no ident");
      said(seen, 0, /\$ {3}I {3}d {3}\$/);
      assert.equal(submitted(seen), "", "nothing changed, so the patch is empty");
    },
  },
];

/** ACC_ATTACKS=name,… runs only those attacks (scripts/mutation-check.mjs runs the ones a defence answers for). */
const only = process.env.ACC_ATTACKS?.split(",");
const chosen = (attack: { name: string }) => only === undefined || only.includes(attack.name);

let canary: Canary;
let seen: Map<string, Seen>;
let hostile: Map<string, Seen>;
const repos: { repo: string; hash: string }[] = [];

before(async () => {
  if (skip) return;
  canary = await new Canary().start();
  const { repo, base } = sourceRepo();
  repos.push({ repo, hash: repositoryHash(repo) });
  const env = await RepoEnvironment.create({ repo, sandbox: ATTACK_SANDBOX, testTimeoutMs: 10_000, maxChars: 2_000, jobs: 4 });
  seen = await runAttacks(env, ATTACKS.filter(chosen), canary, { base_commit: base, test_command: "sh test.sh" });
  hostile = new Map();
  for (const attack of HOSTILE_REPOS.filter(chosen)) {
    const source = sourceRepo(
      (dir, git) => attack.files?.(dir, git, canary),
      (dir, git) => attack.configure?.(dir, git, canary),
    );
    repos.push({ repo: source.repo, hash: repositoryHash(source.repo) });
    const own = await RepoEnvironment.create({ repo: source.repo, sandbox: ATTACK_SANDBOX, testTimeoutMs: 10_000, maxChars: 2_000, jobs: 2 });
    const result = await runAttacks(own, [{ name: attack.name, steps: attack.steps, expect: attack.expect }], canary, { base_commit: source.base, test_command: "sh test.sh" }, 1);
    hostile.set(attack.name, result.get(attack.name)!);
  }
});

after(async () => {
  await canary?.close();
});

for (const attack of ATTACKS) {
  test(`repo attack: ${attack.name}`, { skip: skip || !chosen(attack) }, async () => {
    attack.expect(seen.get(attack.name)!);
    await canary.check(attack.name);
  });
}

for (const attack of HOSTILE_REPOS) {
  test(`hostile repository: ${attack.name}`, { skip: skip || !chosen(attack) }, async () => {
    attack.expect(hostile.get(attack.name)!);
    await canary.check(attack.name);
  });
}

test("the source repositories are byte-identical after every attack, and no temporary folder is left", { skip }, () => {
  for (const { repo, hash } of repos) assert.equal(repositoryHash(repo), hash, repo);
  canary.checkTemporaryFolders("repo attacks");
});

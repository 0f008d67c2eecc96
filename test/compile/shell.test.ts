import assert from "node:assert/strict";
import { test } from "node:test";
import { commandOutput } from "../../src/compile/evidence/output.js";
import { changesTree, fileRead, mentionsFile, printsDiff, readOnly } from "../../src/compile/evidence/shell.js";
import { mostCompleteView } from "../../src/compile/evidence/swe.js";

test("shell reads of one file, as agents write them, are recognised with what they show of its lines", () => {
  const cases: [string, ReturnType<typeof fileRead>][] = [
    ["cd /testbed && cat astropy/modeling/separable.py", { path: "/testbed/astropy/modeling/separable.py", lines: "plain", firstLine: 1, whole: true }],
    ["cat -n src/a.py", { path: "src/a.py", lines: "numbered", whole: true }],
    ["nl -ba requests/models.py | sed -n '380,420p'", { path: "requests/models.py", lines: "numbered", whole: false }],
    ["cd /testbed && sed -n '219,248p' astropy/modeling/separable.py", { path: "/testbed/astropy/modeling/separable.py", lines: "plain", firstLine: 219, whole: false }],
    ["sed -n -e '5p' a.py 2>/dev/null", { path: "a.py", lines: "plain", firstLine: 5, whole: false }],
    ["head -n 118 django/core/validators.py", { path: "django/core/validators.py", lines: "plain", firstLine: 1, whole: false }],
    ["head -50 a.py 2>&1", { path: "a.py", lines: "plain", firstLine: 1, whole: false }],
    ["tail -n +20 a.py", { path: "a.py", lines: "plain", firstLine: 20, whole: false }],
    ["tail -n 30 a.py", { path: "a.py", lines: "plain", whole: false }],
    ["cat a.py | sed -n '10,20p'", { path: "a.py", lines: "plain", firstLine: 10, whole: false }],
    ["cat a.py | head -n 5", { path: "a.py", lines: "plain", firstLine: 1, whole: false }],
    ["grep -n 'def f' pkg/mod.py", { path: "pkg/mod.py", lines: "grep", whole: false }],
    ["grep -n -A 3 -e foo pkg/mod.py", { path: "pkg/mod.py", lines: "grep", whole: false }],
    ["cd /repo; nl -ba x.py | grep -n bar", { path: "/repo/x.py", lines: "numbered", whole: false }],
  ];
  for (const [command, expected] of cases) assert.deepEqual(fileRead(command), expected, command);
});

test("commands that are not a read of one file are not views", () => {
  for (const command of [
    "cat a.py b.py",
    "grep -rn foo src",
    "grep foo a.py",
    "grep -n foo a.py b.py",
    "sed -i 's/a/b/' a.py",
    "sed -n '/def f/,/return/p' a.py",
    "cat a.py > b.py",
    "cat <<'EOF' > fix.py\nimport os\nEOF",
    "python -c \"print(open('a.py').read())\"",
    "cat a.py | python x.py",
    "head -c 100 a.py",
    "cat a.py | cat -A",
    "cd /testbed && cat a.py && rm b.py",
    "cat *.py",
  ]) {
    assert.equal(fileRead(command), undefined, command);
  }
});

test("read-only commands, tree changes, diffs and file mentions", () => {
  assert.ok(readOnly("cd /testbed && grep -rn 'x' django | head -20"));
  assert.ok(readOnly("git log --oneline -5 -- a.py"));
  assert.ok(readOnly("sed -n '/def f/,/return/p' a.py"));
  assert.ok(!readOnly("sed -i 's/a/b/' a.py"));
  assert.ok(!readOnly("echo x > a.py"));
  assert.ok(!readOnly("python reproduce.py"));
  assert.ok(!readOnly("find . -name '*.pyc' -delete"));
  assert.ok(!readOnly("git checkout a.py"));
  assert.ok(changesTree("git stash && pytest"));
  assert.ok(changesTree("git apply fix.patch"));
  assert.ok(!changesTree("git status"));
  assert.ok(printsDiff("cd /testbed && git diff astropy/modeling/separable.py"));
  assert.ok(printsDiff("echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git add -A && git diff --cached"));
  assert.ok(!printsDiff("git status"));
  assert.ok(mentionsFile("sed -i 's/x/y/' django/core/validators.py", "django/core/validators.py"));
  assert.ok(mentionsFile("python -c \"open('validators.py')\"", "django/core/validators.py"));
  assert.ok(!mentionsFile("pytest tests/test_validators.py", "django/core/validators.py"));
  assert.ok(!mentionsFile("cat validators.pyc", "django/core/validators.py"));
});

test("tool output framing of mini-swe-agent, OpenHands and SWE-agent is taken off", () => {
  assert.deepEqual(commandOutput("<returncode>0</returncode>\n<output>\nline 1\nline 2\n</output>"), { text: "line 1\nline 2", failed: false, truncated: false });
  assert.deepEqual(commandOutput("<returncode>1</returncode>\n<output>\nTraceback\n</output>"), { text: "Traceback", failed: true, truncated: false });
  const long = "<returncode>0</returncode>\n<warning>\ntoo long\n</warning><output_head>\nfirst\n</output_head>\n<elided_chars>\n99 characters elided\n</elided_chars>\n<output_tail>\nlast\n</output_tail>";
  assert.deepEqual(commandOutput(long), { text: "first", failed: false, truncated: true });
  assert.deepEqual(commandOutput("a\nb\n[The command completed with exit code 0.]\n[Current working directory: /workspace]\n[Python interpreter: /usr/bin/python]"), { text: "a\nb", failed: false, truncated: false });
  assert.equal(commandOutput("oops\n[The command completed with exit code 2.]").failed, true);
  assert.equal(commandOutput("1:import re\r\n2:x\n(Open file: /testbed/setup.py)\n(Current directory: /testbed)\nbash-$").text, "1:import re\n2:x");
});

test("views merge by what is known of their lines: a whole file wins; known line ranges merge with gaps marked", () => {
  assert.equal(mostCompleteView([{ text: "b\nc", lines: "plain", firstLine: 2 }, { text: "x\ny", lines: "plain" }, { text: "    9\ti", lines: "numbered" }]), "[… lines 1–1 not seen …]\nb\nc\n[… lines 4–8 not seen …]\ni");
  assert.equal(mostCompleteView([{ text: "12:def f():\n13-    return 1\n--\n40:x = f()", lines: "grep" }]), "[… lines 1–11 not seen …]\ndef f():\n    return 1\n[… lines 14–39 not seen …]\nx = f()");
  assert.equal(mostCompleteView([{ text: "part", lines: "plain", firstLine: 3 }, { text: "a\nb\nc", lines: "plain", firstLine: 1, whole: true }]), "a\nb\nc");
});

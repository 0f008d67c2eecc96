/** Directory names that hold tests, compared lower-cased. */
const TEST_DIRECTORIES = new Set(["test", "tests", "testing", "__tests__", "spec", "specs", "e2e", "testdata", "test_data"]);

/** File-name conventions of test files across ecosystems. */
const TEST_FILE_NAMES = [
  /^test_.+\.py$/, // pytest
  /_test\.(py|go|rb|exs?|c|cc|cpp)$/, // pytest, go test, minitest, ExUnit, gtest
  /^conftest\.py$/,
  /\.(test|spec)\.[cm]?[jt]sx?$/, // jest, vitest, mocha
  /(Test|Tests|IT)\.(java|kt|scala|cs)$/, // JUnit, xUnit
  /_spec\.rb$/, // rspec
];

/**
 * Whether a path holds tests: a directory component named like a test folder, or a test file-name
 * convention. Path components are used rather than substrings, so `contest.py` and `attestation/` are
 * not tests (SWE-bench's substring rule takes both).
 */
export function isTestPath(path: string): boolean {
  const parts = path.split("/");
  const name = parts.at(-1)!;
  if (parts.slice(0, -1).some((dir) => TEST_DIRECTORIES.has(dir.toLowerCase()))) return true;
  return TEST_FILE_NAMES.some((pattern) => pattern.test(name));
}

/**
 * Splits a `git diff` patch into the part that changes code and the part that changes tests. `paths` are
 * the paths of the patch's file sections in order (from `--numstat -z`, so quoting cannot mislead).
 */
export function splitPatch(patch: string, paths: readonly string[]): { patch: string; test_patch: string } {
  const sections: string[] = [];
  let start = patch.startsWith("diff --git ") ? 0 : -1;
  for (let at = patch.indexOf("\ndiff --git "); at !== -1; at = patch.indexOf("\ndiff --git ", at + 1)) {
    if (start !== -1) sections.push(patch.slice(start, at + 1));
    start = at + 1;
  }
  if (start !== -1) sections.push(patch.slice(start));
  if (sections.length !== paths.length) throw new Error(`patch has ${sections.length} file sections for ${paths.length} paths`);
  let code = "";
  let tests = "";
  sections.forEach((section, i) => {
    if (isTestPath(paths[i]!)) tests += section;
    else code += section;
  });
  return { patch: code, test_patch: tests };
}

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

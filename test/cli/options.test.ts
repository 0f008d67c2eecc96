import assert from "node:assert/strict";
import { test } from "node:test";
import { Command } from "commander";
import { AccError } from "../../src/errors/acc-error.js";
import { choiceOption, mebibytesOption, numberOption, outOption, outPath, outputAliasOption, parseNumber, positiveIntegerOption, secondsOption, seedOption, wholeNumberOption } from "../../src/cli/options.js";

/** The flags a command built from `options` parses `args` into, or the usage error it throws. */
function parse(options: ReturnType<typeof positiveIntegerOption>[], args: string[]): Record<string, unknown> {
  const command = new Command("t").exitOverride().configureOutput({ writeErr: () => {} });
  for (const option of options) command.addOption(option);
  command.parse(args, { from: "user" });
  return command.opts();
}

function usage(options: ReturnType<typeof positiveIntegerOption>[], args: string[]): string {
  try {
    parse(options, args);
  } catch (error) {
    assert.ok(AccError.isInstance(error), String(error));
    assert.equal(error.exitCode, 2);
    return error.message;
  }
  assert.fail(`${args.join(" ")} was accepted`);
}

test("one number parser: integers, bounds and units, with one message shape naming the flag", () => {
  assert.equal(parseNumber("3", "--n", { integer: true, min: 1 }), 3);
  assert.equal(parseNumber("-7", "--seed", { integer: true }), -7);
  assert.equal(parseNumber("0.5", "--r", { min: 0, max: 1 }), 0.5);
  for (const bad of ["", " ", "x", "1.5", "0", "-1", "Infinity", "1e400", "9007199254740993"]) {
    assert.throws(() => parseNumber(bad, "--n", { integer: true, min: 1 }), { message: `--n expects a positive integer, got "${bad}"` });
  }
  assert.throws(() => parseNumber("-1", "--k", { integer: true, min: 0 }), { message: '--k expects a whole number ≥ 0, got "-1"' });
  assert.throws(() => parseNumber("1.5", "--seed", { integer: true }), { message: '--seed expects a whole number, got "1.5"' });
  assert.throws(() => parseNumber("2", "--ratio", { min: 0.01, max: 1 }), { message: '--ratio expects a number from 0.01 to 1, got "2"' });
  assert.throws(() => parseNumber("-0.1", "--temperature", { min: 0 }), { message: '--temperature expects a number ≥ 0, got "-0.1"' });
});

test("options parse as commander reads them: typed values, parsed defaults, units converted", () => {
  const options = () => [
    positiveIntegerOption("--jobs <n>", "", 2),
    wholeNumberOption("--retries <n>", "", 5),
    numberOption("--top-p <p>", "", { min: 0, max: 1 }, 1),
    secondsOption("--timeout <s>", "", 600),
    mebibytesOption("--memory <MiB>", "", 1024 * 1024 * 1024),
    seedOption("seed"),
    choiceOption("--mode <m>", "", ["drop", "flag"] as const, "drop"),
  ];
  assert.deepEqual(parse(options(), []), { jobs: 2, retries: 5, topP: 1, timeout: 600_000, memory: 1024 ** 3, seed: 0, mode: "drop" });
  assert.deepEqual(parse(options(), ["--jobs", "4", "--retries", "0", "--top-p", "0.9", "--timeout", "1.5", "--memory", "2", "--seed", "-3", "--mode", "flag"]), {
    jobs: 4,
    retries: 0,
    topP: 0.9,
    timeout: 1500,
    memory: 2 * 1024 * 1024,
    seed: -3,
    mode: "flag",
  });
  assert.equal(usage(options(), ["--timeout", "0"]), '--timeout expects a number of seconds from 0.001 to 86400, got "0"');
  assert.equal(usage(options(), ["--timeout", "100000"]), '--timeout expects a number of seconds from 0.001 to 86400, got "100000"');
  assert.equal(usage(options(), ["--memory", "0.5"]), '--memory expects a positive integer, got "0.5"');
  assert.equal(usage(options(), ["--mode", "maybe"]), '--mode expects one of drop, flag, got "maybe"');
});

test("-o is --out; the former --output is still read, and not both", () => {
  const options = () => [outOption("file", { value: "file" }), outputAliasOption()];
  assert.equal(outPath(parse(options(), ["-o", "a.jsonl"])), "a.jsonl");
  assert.equal(outPath(parse(options(), ["--output", "b.jsonl"])), "b.jsonl");
  assert.throws(() => parse(options(), ["-o", "a", "--output", "b"]), /cannot be used with/);
});

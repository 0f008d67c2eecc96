import { Command } from "commander";
import { AccError } from "../../errors/acc-error.js";
import { streamSink } from "../../io/atomic.js";
import type { LlmClient } from "../../llm/types.js";
import { Domain } from "../../records/trajectory.js";
import {
  comparePatches,
  DEFAULT_QA_OPTIONS,
  DEFAULT_VERIFY_SETUP,
  type JudgeOptions,
  PatchTester,
  type QaOptions,
  SqlRunner,
  SqlVerifier,
  type Verdict,
  Verifiers,
  type VerifySetup,
  verifyJudge,
  verifyQa,
} from "../../verify/index.js";
import { type VerifyCounts, verifySamples } from "../../verify/samples.js";
import { type CliIo, existingInputs, gitRepository, parseChoice, parseInteger, readText, sqliteDatabase, UsageError } from "../io.js";
import { countLines } from "../../io/lines.js";
import { makeClient } from "../llm-client.js";
import { clientFlags } from "../llm-flags.js";
import { progressWithTotal } from "../progress.js";
import { renderTable } from "../table.js";
import { reportSandbox, sandboxFlags, sandboxSettings } from "./sandbox-flags.js";

type Flags = Record<string, unknown>;

/** A verdict that did not pass: the command has printed it and exits 1. */
export class VerificationFailed extends AccError {
  override name = "VerificationFailed";
}

export function verifyCommand(io: CliIo): Command {
  const verify = new Command("verify")
    .description("Check answers against gold: qa, sql, patch, judge, or every sample of a JSONL file")
    .addHelpText(
      "after",
      `
One verdict is printed as JSON; the exit code is 0 when it passes, 1 when it does not, 2 on usage errors.

Examples:
  acc verify qa --answer "The Denver Broncos" --gold "Denver Broncos"
  acc verify sql --db bookshop.sqlite --gold-sql "SELECT city FROM stores" --candidate-sql "SELECT city FROM stores ORDER BY id"
  acc verify patch --patch fix.diff --repo repo --base HEAD --test-cmd "python -m pytest -q tests"
  acc verify samples out/teach/samples.jsonl --db bookshop.sqlite -o verdicts.jsonl

Related: acc teach, docs/commands/verify.md`,
    );
  const sub = (name: string, description: string) =>
    verify
      .command(name)
      .description(description)
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const report = (verdict: Verdict) => {
    io.stdout.write(`${JSON.stringify(verdict)}\n`);
    if (!verdict.pass) throw new VerificationFailed(`did not pass: ${verdict.reason}`, { code: "verification-failed" });
  };

  qaFlags(sub("qa", "Normalised exact match, one number within a tolerance, token F1 at a threshold, or list / set equality"))
    .requiredOption("--answer <text>", "the answer to check")
    .requiredOption("--gold <text>", "the gold answer")
    .action((flags: Flags) => report(verifyQa(String(flags.answer), String(flags.gold), qaOptions(flags))));

  sub("sql", "Run a candidate query (or compare a value) against the gold query on a SQLite database opened read-only")
    .requiredOption("--db <file>", "the SQLite database")
    .requiredOption("--gold-sql <sql>", "the gold query")
    .option("--candidate-sql <sql>", "the candidate query: results compared as multisets (in order when the gold has ORDER BY)")
    .option("--candidate-value <text>", "a candidate answer value: every value of the gold result must be in it")
    .option("--sql-timeout <s>", "time limit of each query, seconds", "30")
    .option("--tolerance <x>", "relative tolerance of numbers in a value answer", String(DEFAULT_QA_OPTIONS.tolerance))
    .option("--column-order <mode>", "any: the gold's columns in another order pass; exact: they must come in the gold's order", "any")
    .action(async (flags: Flags) => {
      if ((flags.candidateSql === undefined) === (flags.candidateValue === undefined)) throw new UsageError("give exactly one of --candidate-sql and --candidate-value");
      const columnOrder = String(flags.columnOrder);
      if (columnOrder !== "any" && columnOrder !== "exact") throw new UsageError(`--column-order must be any or exact, not ${JSON.stringify(columnOrder)}`);
      const db = sqliteDatabase(flags.db, "--db");
      const runner = new SqlRunner(1);
      try {
        const verifier = new SqlVerifier(runner, seconds(flags.sqlTimeout, "--sql-timeout"), { ...DEFAULT_QA_OPTIONS, tolerance: fraction(flags.tolerance, "--tolerance") }, { columnOrder });
        const candidate = flags.candidateSql !== undefined ? { candidateSql: String(flags.candidateSql) } : { candidateValue: String(flags.candidateValue) };
        report(await verifier.verify({ db, goldSql: String(flags.goldSql), ...candidate }));
      } finally {
        await runner.close();
      }
    });

  sandboxFlags(
    sub("patch", "Apply a patch at a base commit and run the tests in the sandbox (a box of their own: no network, only the repository writable, limits), or compare it with the gold patch")
      .requiredOption("--patch <file>", "the candidate patch (unified diff)")
      .option("--gold-patch <file>", "compare with this patch: same files and changes (without --test-cmd)")
      .option("--repo <dir>", "git repository")
      .option("--base <rev>", "commit the patch applies to", "HEAD")
      .option("--test-cmd <cmd>", "test command run by sh at the repository's root in the box; exit 0 passes")
      .option("--test-timeout <s>", "time limit of the test command, seconds", "600"),
  )
    .action(async (flags: Flags) => {
      const patch = readText(flags.patch, "--patch");
      if (flags.testCmd !== undefined) {
        if (flags.repo === undefined) throw new UsageError("--test-cmd needs --repo");
        const sandbox = sandboxSettings(flags, seconds(flags.testTimeout, "--test-timeout"));
        const tester = await PatchTester.create({ repo: gitRepository(flags.repo, "--repo"), testCommand: String(flags.testCmd), sandbox, jobs: 1 });
        await reportSandbox(io, flags, sandbox);
        report(await tester.verify(String(flags.base), patch));
        return;
      }
      if (flags.goldPatch === undefined) throw new UsageError("give --gold-patch, or --repo and --test-cmd");
      report(comparePatches(patch, readText(flags.goldPatch, "--gold-patch")));
    });

  clientFlags(sub("judge", "Ask an LLM judge whether an answer matches the gold under a rubric"))
    .requiredOption("--endpoint <url>", "OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1")
    .requiredOption("--model <name>", "the judge model")
    .requiredOption("--question <text>", "the question")
    .requiredOption("--answer <text>", "the answer to grade")
    .requiredOption("--gold <text>", "the reference answer")
    .option("--rubric <file>", "what makes an answer correct (default: docs/commands/verify.md)")
    .action(async (flags: Flags) => {
      const client = makeClient(String(flags.endpoint), flags, 1);
      try {
        const judge: JudgeOptions = { client, model: String(flags.model), ...(flags.rubric ? { rubric: readText(flags.rubric, "--rubric") } : {}) };
        report(await verifyJudge(judge, { question: String(flags.question), answer: String(flags.answer), gold: String(flags.gold) }));
      } finally {
        await client.close();
      }
    });

  verifierFlags(qaFlags(clientFlags(sub("samples", "Verify every sample of a JSONL file: its own target answer, or candidates from --answers"))))
    .argument("<samples>", "samples JSONL (from acc compile or acc teach); - reads stdin")
    .option("--answers <file>", 'candidates JSONL: {"id": <sample id>, "answer": …, "sql"?: …, "patch"?: …}')
    .requiredOption("-o, --output <file>", "verdicts JSONL, one line per input line (- for stdout)")
    .option("--endpoint <url>", "endpoint of the --judge-model")
    .option("-q, --quiet", "no progress display")
    .action(async (input: string, flags: Flags) => {
      existingInputs([input]);
      const judgeClient = flags.judgeModel !== undefined ? makeClient(judgeEndpoint(flags), flags, 4) : undefined;
      const setup = verifySetup(flags, judgeClient);
      const verifiers = await Verifiers.create(setup);
      if (flags.testCmd !== undefined) await reportSandbox(io, flags, setup.sandbox);
      const progress = await progressWithTotal(io.stderr, "verify", Boolean(flags.quiet), () => countLines(input));
      try {
        const counts = await verifySamples({
          input,
          ...(flags.answers ? { answers: String(flags.answers) } : {}),
          output: flags.output === "-" ? streamSink(io.stdout) : String(flags.output),
          verifiers,
          concurrency: 4 * parseInteger(String(flags.jobs), "--jobs"),
          onProgress: (c) => progress.update(c.read, `${c.read} samples, ${c.passed} passed`),
        });
        progress.stop();
        io.stderr.write(`${verifySummary(counts)}\nverdicts: ${flags.output === "-" ? "stdout" : String(flags.output)}\n`);
        if (counts.read === 0) throw new AccError(`no samples in ${input}`, { code: "no-records", fix: "verify samples reads samples JSONL from acc compile or acc teach" });
        if (counts.invalid === counts.read) {
          throw new AccError(`no valid sample in ${input}: all ${counts.read} lines are invalid (see the verdicts for each line's reason)`, {
            code: "no-records",
            fix: "verify samples reads samples JSONL from acc compile or acc teach",
          });
        }
      } finally {
        progress.stop();
        await verifiers.close();
        await judgeClient?.close();
      }
    });
  return verify;
}

export function verifySummary(counts: VerifyCounts): string {
  const rows = Domain.options
    .filter((d) => counts.domains[d])
    .map((d) => {
      const s = counts.domains[d]!;
      const reasons = Object.entries(s.reasons)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([reason, n]) => `${reason}:${n}`)
        .join(" ");
      return [d, s.samples, s.passed, s.samples > 0 ? `${((100 * s.passed) / s.samples).toFixed(1)}%` : "-", reasons];
    });
  const table = renderTable(["domain", "samples", "passed", "pass rate", "reasons"], rows);
  const unmatched = counts.unmatched_answers > 0 ? `\n${counts.unmatched_answers} answers match no sample` : "";
  return `${table}\nread ${counts.read} = passed ${counts.passed} + failed ${counts.failed} (invalid lines ${counts.invalid})${unmatched}`;
}

// --- flags shared with acc teach ------------------------------------------------------------------

export function qaFlags(command: Command): Command {
  return command
    .option("--f1 <x>", "token F1 at or above which a free-text answer passes", String(DEFAULT_QA_OPTIONS.f1Threshold))
    .option("--tolerance <x>", "relative tolerance when both answers are one number", String(DEFAULT_QA_OPTIONS.tolerance))
    .option("--list <mode>", "compare answers as lists: set (order ignored) or ordered");
}

export function verifierFlags(command: Command): Command {
  return sandboxFlags(command)
    .option("--db <path>", "SQLite file, or folder of them by database id: SQL samples with a gold query are checked by running it")
    .option("--repo <dir>", "git repository of SWE samples (with --test-cmd)")
    .option("--test-cmd <cmd>", "test command run in the sandbox at the repository's root after applying a patch; exit 0 passes (else: compare with the gold patch)")
    .option("--test-timeout <s>", "time limit of each test run, seconds", "600")
    .option("--sql-timeout <s>", "time limit of each query, seconds", "30")
    .option("--sql-memory <MiB>", "memory of each SQL process", String(DEFAULT_VERIFY_SETUP.sqlMemoryBytes / 1024 / 1024))
    .option("--jobs <n>", "test runs and SQL processes at once", String(DEFAULT_VERIFY_SETUP.jobs))
    .option("--judge-model <name>", "LLM judge for free-text answers the rules reject")
    .option("--judge-endpoint <url>", "endpoint of the judge (default: --endpoint)")
    .option("--rubric <file>", "the judge's rubric (default: docs/commands/verify.md)");
}

export function qaOptions(flags: Flags): QaOptions {
  const options: QaOptions = { f1Threshold: fraction(flags.f1, "--f1"), tolerance: fraction(flags.tolerance, "--tolerance") };
  if (options.f1Threshold > 1) throw new UsageError(`--f1 expects a number between 0 and 1, got "${String(flags.f1)}"`);
  if (flags.list !== undefined) options.list = parseChoice(String(flags.list), "--list", ["set", "ordered"] as const);
  return options;
}

export function verifySetup(flags: Flags, judgeClient: LlmClient | undefined): VerifySetup {
  const setup: VerifySetup = {
    qa: qaOptions(flags),
    sqlTimeoutMs: seconds(flags.sqlTimeout, "--sql-timeout"),
    sqlMemoryBytes: parseInteger(String(flags.sqlMemory), "--sql-memory") * 1024 * 1024,
    sandbox: sandboxSettings(flags, seconds(flags.testTimeout, "--test-timeout")),
    jobs: parseInteger(String(flags.jobs), "--jobs"),
  };
  if (flags.db !== undefined) setup.db = sqliteDatabase(flags.db, "--db");
  if (flags.repo !== undefined) setup.repo = gitRepository(flags.repo, "--repo");
  if (flags.testCmd !== undefined) {
    if (flags.repo === undefined) throw new UsageError("--test-cmd needs --repo");
    setup.testCommand = String(flags.testCmd);
  }
  if (judgeClient) setup.judge = judgeOptions(flags, judgeClient);
  return setup;
}

export function judgeOptions(flags: Flags, client: LlmClient): JudgeOptions {
  return { client, model: String(flags.judgeModel), ...(flags.rubric ? { rubric: readText(flags.rubric, "--rubric") } : {}) };
}

export function judgeEndpoint(flags: Flags): string {
  const endpoint = flags.judgeEndpoint ?? flags.endpoint;
  if (endpoint === undefined) throw new UsageError("--judge-model needs --judge-endpoint or --endpoint");
  return String(endpoint);
}

export function seconds(value: unknown, flag: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new UsageError(`${flag} expects a number of seconds > 0, got "${String(value)}"`);
  return Math.round(number * 1000);
}

function fraction(value: unknown, flag: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new UsageError(`${flag} expects a number ≥ 0, got "${String(value)}"`);
  return number;
}


import { Command, Option } from "commander";
import { AccError } from "../../errors/acc-error.js";
import { streamSink } from "../../io/atomic.js";
import { Domain } from "../../records/trajectory.js";
import { comparePatches, DEFAULT_QA_OPTIONS, type JudgeOptions, PatchTester, SqlRunner, SqlVerifier, type Verdict, Verifiers, verifyJudge, verifyQa } from "../../verify/index.js";
import { type VerifyCounts, verifySamples } from "../../verify/samples.js";
import { type CliIo, existingInputs, gitRepository, readText, sqliteDatabase, UsageError } from "../io.js";
import { countLines } from "../../io/lines.js";
import { makeClient } from "../llm-client.js";
import { addOptions, choiceOption, type ClientFlags, clientOptions, type OutFlags, outOption, outputAliasOption, quietOption, requiredOut, secondsOption } from "../options.js";
import { progressWithTotal } from "../progress.js";
import { reportSandbox, type SandboxFlags, sandboxOptions, sandboxSettings } from "../sandbox-options.js";
import { renderTable } from "../table.js";
import { judgeEndpoint, type QaFlags, qaOptions, qaSettings, rubricOption, sqlTimeoutOption, toleranceOption, type VerifierFlags, verifierOptions, verifySetup } from "../verifier-options.js";

/** A verdict that did not pass: the command has printed it and exits 1. */
export class VerificationFailed extends AccError {
  override name = "VerificationFailed";
}

interface SqlFlags {
  db: string;
  goldSql: string;
  candidateSql?: string;
  candidateValue?: string;
  sqlTimeout: number;
  tolerance: number;
  columnOrder: "any" | "exact";
}

interface PatchFlags extends SandboxFlags {
  patch: string;
  goldPatch?: string;
  repo?: string;
  base: string;
  testCmd?: string;
  testTimeout: number;
}

interface JudgeFlags extends ClientFlags {
  endpoint: string;
  model: string;
  question: string;
  answer: string;
  gold: string;
  rubric?: string;
}

interface SamplesFlags extends VerifierFlags, ClientFlags, OutFlags {
  answers?: string;
  quiet?: boolean;
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
  const sub = (name: string, description: string, examples: string[]) =>
    verify
      .command(name)
      .description(description)
      .addHelpText("after", `\nExamples:\n${examples.map((line) => `  ${line}`).join("\n")}\n\nRelated: docs/commands/verify.md#${name}`);
  const report = (verdict: Verdict) => {
    io.stdout.write(`${JSON.stringify(verdict)}\n`);
    if (!verdict.pass) throw new VerificationFailed(`did not pass: ${verdict.reason}`, { code: "verification-failed" });
  };

  qaOptions(
    sub("qa", "Normalised exact match, one number within a tolerance, token F1 at a threshold, or list / set equality", [
      'acc verify qa --answer "The Denver Broncos" --gold "Denver Broncos"',
      'acc verify qa --answer "b; a" --gold "a, b" --list set',
    ]),
  )
    .requiredOption("--answer <text>", "the answer to check")
    .requiredOption("--gold <text>", "the gold answer")
    .action((flags: QaFlags & { answer: string; gold: string }) => report(verifyQa(flags.answer, flags.gold, qaSettings(flags))));

  addOptions(
    sub("sql", "Run a candidate query (or compare a value) against the gold query on a SQLite database opened read-only", [
      'acc verify sql --db examples/.build/bookshop.sqlite --gold-sql "SELECT city FROM stores" --candidate-sql "SELECT city FROM stores ORDER BY city"',
    ])
      .requiredOption("--db <file>", "the SQLite database")
      .requiredOption("--gold-sql <sql>", "the gold query"),
    [
      new Option("--candidate-sql <sql>", "the candidate query: results compared as multisets (in order when the gold has ORDER BY)").conflicts("candidateValue"),
      new Option("--candidate-value <text>", "a candidate answer value: every value of the gold result must be in it"),
      sqlTimeoutOption(),
      toleranceOption("relative tolerance of numbers in a value answer"),
      choiceOption("--column-order <mode>", "any: the gold's columns in another order pass; exact: they must come in the gold's order", ["any", "exact"] as const, "any"),
    ],
  ).action(async (flags: SqlFlags) => {
    if (flags.candidateSql === undefined && flags.candidateValue === undefined) throw new UsageError("give one of --candidate-sql and --candidate-value");
    const db = sqliteDatabase(flags.db, "--db");
    const runner = new SqlRunner(1);
    try {
      const verifier = new SqlVerifier(runner, flags.sqlTimeout, { ...DEFAULT_QA_OPTIONS, tolerance: flags.tolerance }, { columnOrder: flags.columnOrder });
      const candidate = flags.candidateSql !== undefined ? { candidateSql: flags.candidateSql } : { candidateValue: flags.candidateValue! };
      report(await verifier.verify({ db, goldSql: flags.goldSql, ...candidate }));
    } finally {
      await runner.close();
    }
  });

  addOptions(
    sandboxOptions(
      sub("patch", "Apply a patch at a base commit and run the tests in the sandbox (a box of their own: no network, only the repository writable, limits), or compare it with the gold patch", [
        'acc verify patch --patch fix.diff --repo examples/.build/repo --base HEAD --test-cmd "python -m pytest -q tests"',
        "acc verify patch --patch fix.diff --gold-patch gold.diff",
      ]).requiredOption("--patch <file>", "the candidate patch (unified diff)"),
    ),
    [
      new Option("--gold-patch <file>", "compare with this patch: same files and changes (without --test-cmd)"),
      new Option("--repo <dir>", "git repository"),
      new Option("--base <rev>", "commit the patch applies to").default("HEAD"),
      new Option("--test-cmd <cmd>", "test command run by sh at the repository's root in the box; exit 0 passes"),
      secondsOption("--test-timeout <s>", "time limit of the test command, seconds", 600),
    ],
  ).action(async (flags: PatchFlags) => {
    const patch = readText(flags.patch, "--patch");
    if (flags.testCmd !== undefined) {
      if (flags.repo === undefined) throw new UsageError("--test-cmd needs --repo", { flag: "--test-cmd" });
      const sandbox = sandboxSettings(flags, flags.testTimeout);
      const tester = await PatchTester.create({ repo: gitRepository(flags.repo, "--repo"), testCommand: flags.testCmd, sandbox, jobs: 1 });
      await reportSandbox(io, false, sandbox);
      report(await tester.verify(flags.base, patch));
      return;
    }
    if (flags.goldPatch === undefined) throw new UsageError("give --gold-patch, or --repo and --test-cmd");
    report(comparePatches(patch, readText(flags.goldPatch, "--gold-patch")));
  });

  addOptions(
    sub("judge", "Ask an LLM judge whether an answer matches the gold under a rubric", [
      'acc verify judge --endpoint http://127.0.0.1:8000/v1 --model judge --question "Which comet?" --answer 67P --gold "67P/Churyumov–Gerasimenko"',
    ]),
    clientOptions(),
  )
    .requiredOption("--endpoint <url>", "OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1")
    .requiredOption("--model <name>", "the judge model")
    .requiredOption("--question <text>", "the question")
    .requiredOption("--answer <text>", "the answer to grade")
    .requiredOption("--gold <text>", "the reference answer")
    .addOption(rubricOption("what makes an answer correct (default: docs/commands/verify.md)"))
    .action(async (flags: JudgeFlags) => {
      const client = makeClient(flags.endpoint, flags, 1);
      try {
        const judge: JudgeOptions = { client, model: flags.model, ...(flags.rubric ? { rubric: readText(flags.rubric, "--rubric") } : {}) };
        report(await verifyJudge(judge, { question: flags.question, answer: flags.answer, gold: flags.gold }));
      } finally {
        await client.close();
      }
    });

  verifierOptions(
    qaOptions(
      addOptions(
        sub("samples", "Verify every sample of a JSONL file: its own target answer, or candidates from --answers", [
          "acc verify samples out/teach/samples.jsonl --db examples/.build/bookshop.sqlite -o verdicts.jsonl",
          "acc verify samples out/compile/samples.jsonl --answers my-model-answers.jsonl -o verdicts.jsonl",
        ]),
        clientOptions(),
      ),
    ),
  )
    .argument("<samples>", "samples JSONL (from acc compile or acc teach); - reads stdin")
    .option("--answers <file>", 'candidates JSONL: {"id": <sample id>, "answer": …, "sql"?: …, "patch"?: …}')
    .addOption(outOption("verdicts JSONL, one line per input line (- for stdout; required)", { value: "file" }))
    .addOption(outputAliasOption())
    .option("--endpoint <url>", "endpoint of the --judge-model")
    .addOption(quietOption())
    .action(async (input: string, flags: SamplesFlags) => {
      const output = requiredOut(flags, "file");
      existingInputs([input]);
      const judgeClient = flags.judgeModel !== undefined ? makeClient(judgeEndpoint(flags), flags, 4) : undefined;
      const setup = verifySetup(flags, judgeClient);
      const verifiers = await Verifiers.create(setup);
      if (flags.testCmd !== undefined) await reportSandbox(io, Boolean(flags.quiet), setup.sandbox);
      const progress = await progressWithTotal(io.stderr, "verify", Boolean(flags.quiet), () => countLines(input));
      try {
        const counts = await verifySamples({
          input,
          ...(flags.answers ? { answers: flags.answers } : {}),
          output: output === "-" ? streamSink(io.stdout) : output,
          verifiers,
          concurrency: 4 * flags.jobs,
          onProgress: (c) => progress.update(c.read, `${c.read} samples, ${c.passed} passed`),
        });
        progress.stop();
        io.stderr.write(`${verifySummary(counts)}\nverdicts: ${output === "-" ? "stdout" : output}\n`);
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

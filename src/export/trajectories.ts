import { writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { AtomicFile } from "../io/atomic.js";
import { makeDirectory } from "../io/directory.js";
import { DEFAULT_MAX_LINE_BYTES } from "../io/lines.js";
import { readJsonLines } from "../io/json-lines.js";
import { AccError, UsageError } from "../errors/acc-error.js";
import { withTypedWarnings } from "../records/import-warning.js";
import { Trajectory } from "../records/trajectory.js";
import { validateFast } from "../records/fast-validate.js";
import { formatProblems } from "../records/validate.js";
import type { Tokenizer } from "../tokenize/types.js";
import type { ReasoningMode } from "./rows.js";
import { type MaskMode, rowMessages, sftConversation } from "./sft.js";
import { IGNORE } from "./tokenized.js";
import { type RlTask, rlTask, slimePrompt, slimeSample, verlPrompt, verlRow } from "./rl.js";
import { type TokenRow, type TokenSource, trajectoryTokenRows } from "./token-rows.js";
import { writeVerlPrompts } from "./verl-prompts.js";
import { LLAMAFACTORY_TRAINING, llamaFactoryDatasetInfo, llamaFactoryRow } from "./llamafactory.js";
import { ConversationParquetWriter, type ParquetConversationRow, type ParquetTokenRow, TokenParquetWriter } from "./trajectory-parquet.js";
import { SESSIONS_DIR, SessionsWriter, hfTracesCard } from "./hf-traces.js";
import { TOOL_CALL_CLOSE, TOOL_CALL_OPEN, maskToolCalls } from "./tool-call-mask.js";
import { splitRow } from "./split-rows.js";
import { summarySegments } from "./summary-segments.js";
import { type Built, exportShard } from "./shard.js";
import { ExportRejects, rejectLine } from "./rejects.js";
import type { Shard } from "../shard/partition.js";
import type { AtifTrajectory } from "../records/atif.js";
import { isRecord } from "../json.js";

export const TRAJECTORY_TARGETS = ["atif", "trl", "axolotl", "openai", "llamafactory", "parquet", "verl", "slime", "hf-traces"] as const;
export type TrajectoryTarget = (typeof TRAJECTORY_TARGETS)[number];

export interface TrajectoryExportOptions {
  /** Trajectories JSONL files from `acc import` or `acc rollout`. */
  inputs: readonly string[];
  outDir: string;
  target: TrajectoryTarget;
  /** Which assistant turns are trained (SFT targets). Default `assistant`. */
  mask?: MaskMode;
  /** Where reasoning goes in SFT rows (ignored by `atif` and tokenized rows, which use the template's own place). */
  reasoning?: ReasoningMode;
  /**
   * Rows of token ids and labels (SFT targets; verl and slime rows always have ids): the ids the log
   * recorded when every assistant turn has them, else rendered with this tokenizer's chat template.
   */
  tokenizer?: Tokenizer;
  /** Rows of ids: the tool calls of trained turns (`<tool_call>` … `</tool_call>`) are not trained. */
  maskToolArgs?: boolean;
  /**
   * Tokenized SFT rows: cut where a summary or compaction replaced the context (summary-segments.ts), and
   * rows still over this many tokens cut where a message starts (split-rows.ts).
   */
  maxTokens?: number;
  name?: string;
  /** Build only this shard's trajectories (by id), for `acc merge` to write the target's files. */
  shard?: Shard;
}

export interface TrajectoryExportStats {
  read: number;
  exported: number;
  rejected: number;
  /** Rows written (a trajectory gives several when tokenized rows are cut at user turns). */
  rows: number;
  /** Rows of token ids by where the ids came from: the log's recorded ids, or acc's tokenizer. */
  tokenSources: Record<TokenSource, number>;
  /** Trajectories with recorded ids on some assistant turns but not all (re-tokenised whole). */
  partialRecorded: number;
  /** hf-traces: messages written, and secrets replaced by placeholders, by type. */
  messages: number;
  redacted: Record<string, number>;
  /**
   * atif: documents written by schema version, and sub-agent references kept under a result's
   * `extra.acc` instead of `subagent_trajectory_ref`: they name no file and no embedded sub-agent, which
   * Harbor's v1.8 validator refuses.
   */
  atifVersions?: Record<string, number>;
  subagentRefsKept?: number;
  files: string[];
}

const DATA_FILE: Record<TrajectoryTarget, string> = {
  atif: "trajectories.atif.jsonl",
  trl: "train.jsonl",
  axolotl: "train.jsonl",
  openai: "train.jsonl",
  llamafactory: "train.jsonl",
  parquet: "train.parquet",
  verl: "rollouts.jsonl",
  slime: "samples.jsonl",
  "hf-traces": `${SESSIONS_DIR}/`,
};
/** The prompt file each RL target's trainer starts rollouts from. */
const PROMPT_FILE: Partial<Record<TrajectoryTarget, string>> = { verl: "prompts.parquet", slime: "prompts.jsonl" };

/** Targets whose rows are conversations only (no --tokenized rows), and why. */
const TEXT_ONLY: Partial<Record<TrajectoryTarget, string>> = {
  llamafactory: "LLaMA-Factory tokenizes its rows with its own template",
  atif: "ATIF documents are not rows of token ids",
  "hf-traces": "session traces are text for the Hub's trace viewer",
};

/** Options a target cannot honour, refused before anything is written. */
export function checkTrajectoryOptions(options: Pick<TrajectoryExportOptions, "target" | "reasoning" | "mask" | "maskToolArgs" | "maxTokens"> & { tokenized: boolean }): void {
  if (options.maxTokens !== undefined && (!options.tokenized || options.target === "verl" || options.target === "slime")) {
    throw new UsageError("--max-tokens cuts tokenized SFT rows: use it with --tokenized and --to trl, axolotl, openai or parquet", { flag: "--max-tokens", fix: "add --tokenized, or drop --max-tokens" });
  }
  if (options.maskToolArgs && !options.tokenized) {
    throw new UsageError(`--mask-tool-args applies to rows of token ids: --tokenized, or --to verl or slime`, { flag: "--mask-tool-args", fix: "add --tokenized (--to trl, axolotl, openai or parquet), or drop --mask-tool-args" });
  }
  if (options.maskToolArgs && options.mask === "none") {
    throw new UsageError("--mask-tool-args with --mask none: none trains every token, tool calls included", { flag: "--mask-tool-args", fix: "use --mask assistant, last or final" });
  }
  const textOnly = TEXT_ONLY[options.target];
  if (options.tokenized && textOnly !== undefined) {
    throw new UsageError(`--tokenized does not apply to --to ${options.target}: ${textOnly}`, { flag: "--tokenized", fix: "drop --tokenized, or use --to trl, axolotl, openai or parquet for rows of token ids" });
  }
  if (options.target === "llamafactory" && options.reasoning === "field") {
    throw new UsageError("--reasoning field: llamafactory rows cannot carry it (a ShareGPT turn has only from and value; LLaMA-Factory's reasoning templates read <think>…</think> in the value)", { flag: "--reasoning", fix: "use --reasoning think or none" });
  }
}

/** Where the rows go: a JSONL file, or Parquet for `--to parquet`. */
interface RowSink {
  add(value: unknown): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

async function openSink(outDir: string, target: TrajectoryTarget, tokenized: boolean): Promise<RowSink> {
  const path = join(outDir, DATA_FILE[target]);
  if (target === "hf-traces") {
    const sessions = new SessionsWriter(outDir);
    return { add: (value) => sessions.add(value as Trajectory), commit: () => sessions.commit(), abort: () => sessions.abort() };
  }
  if (target === "parquet" && tokenized) {
    const parquet = new TokenParquetWriter(path);
    return { add: (value) => parquet.add(value as ParquetTokenRow), commit: () => parquet.commit(), abort: () => parquet.abort() };
  }
  if (target === "parquet") {
    const parquet = new ConversationParquetWriter(path);
    return { add: (value) => parquet.add(value as ParquetConversationRow), commit: () => parquet.commit(), abort: () => parquet.abort() };
  }
  const file = await AtomicFile.create(path);
  return { add: (value) => file.write(`${JSON.stringify(value)}\n`), commit: () => file.commit(), abort: () => file.abort() };
}

/** What the RL targets gather across trajectories: one prompt per task, and slime's running indices. */
interface RlState {
  tasks: Map<string, { task: RlTask; group: number; tools: Record<string, unknown>[] }>;
  samples: number;
  trajectories: number;
}

/** What `acc merge` needs to finish a trajectories export from its shards (the card's settings). */
interface TrajectoryShardSettings {
  kind: "trajectories";
  mask?: MaskMode;
  reasoning?: ReasoningMode;
  maskToolArgs?: boolean;
  tokenizerName?: string;
  maxTokens?: number;
  name?: string;
}

type CardOptions = Pick<TrajectoryExportOptions, "target" | "mask" | "reasoning" | "maskToolArgs"> & { tokenizerName?: string };

/**
 * Modules only some targets use, loaded for them alone: the ATIF check compiles a JSON Schema and
 * redaction builds its detectors' keyword index, start-up CPU the SFT and RL targets would pay for nothing.
 */
interface TargetModules {
  atif?: { trajectoryToAtif: typeof import("./atif.js").trajectoryToAtif; atifErrors: typeof import("./atif-check.js").atifErrors };
  redactTrajectory?: typeof import("../privacy/index.js").redactTrajectory;
}

async function targetModules(target: TrajectoryTarget): Promise<TargetModules> {
  if (target === "atif") {
    const [{ trajectoryToAtif }, { atifErrors }] = await Promise.all([import("./atif.js"), import("./atif-check.js")]);
    return { atif: { trajectoryToAtif, atifErrors } };
  }
  if (target === "hf-traces") return { redactTrajectory: (await import("../privacy/index.js")).redactTrajectory };
  return {};
}

/**
 * Writes trajectories in a target's format (one row per line) plus a README; a line that is not a
 * trajectory, or whose row fails the target's own schema, goes to rejects.jsonl with file, line and
 * reason. Nothing is left behind when no trajectory was exported.
 */
export async function exportTrajectories(options: TrajectoryExportOptions): Promise<TrajectoryExportStats> {
  checkTrajectoryOptions({ ...options, tokenized: options.tokenizer !== undefined });
  const added = options.tokenizer?.specialTokens.all;
  if (options.maskToolArgs && !(added?.has(TOOL_CALL_OPEN) && added.has(TOOL_CALL_CLOSE))) {
    throw new UsageError(`--mask-tool-args finds tool calls by the ${TOOL_CALL_OPEN} and ${TOOL_CALL_CLOSE} added tokens, and ${options.tokenizer?.name} has not both`, { flag: "--mask-tool-args", fix: "use a tokenizer whose chat template wraps tool calls in them (qwen3), or drop --mask-tool-args" });
  }
  const modules = await targetModules(options.target);
  await makeDirectory(options.outDir);
  const stats: TrajectoryExportStats = { read: 0, exported: 0, rejected: 0, rows: 0, tokenSources: { recorded: 0, tokenizer: 0 }, partialRecorded: 0, messages: 0, redacted: {}, files: [] };
  if (options.shard) {
    const settings: TrajectoryShardSettings = {
      kind: "trajectories",
      ...(options.mask ? { mask: options.mask } : {}),
      ...(options.reasoning ? { reasoning: options.reasoning } : {}),
      ...(options.maskToolArgs ? { maskToolArgs: true } : {}),
      ...(options.tokenizer ? { tokenizerName: options.tokenizer.name } : {}),
      ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
      ...(options.name !== undefined ? { name: options.name } : {}),
    };
    const built = (value: unknown): Built => {
      const row = toRows(value, options, stats, modules);
      if (!row.ok) return row;
      stats.rows += row.values.length;
      return { ok: true, value: row };
    };
    const counts = await exportShard({ ...options, shard: options.shard, settings: { ...settings } }, built, () => ({
      rows: stats.rows,
      tokenSources: stats.tokenSources,
      partialRecorded: stats.partialRecorded,
      messages: stats.messages,
      redacted: stats.redacted,
    }));
    return { ...stats, ...counts };
  }
  const out = await TrajectoriesOut.open(options.outDir, options.target, options.tokenizer !== undefined);
  let firstReject: string | undefined;
  try {
    for (const file of options.inputs) {
      for await (const line of readJsonLines(file, DEFAULT_MAX_LINE_BYTES)) {
        stats.read++;
        const row = "error" in line ? { ok: false as const, reason: line.detail } : toRows(line.value, options, stats, modules);
        if (!row.ok) {
          firstReject ??= `${file}:${line.line}: ${row.reason}`;
          await out.reject(rejectLine(file, line.line, row.reason));
          continue;
        }
        stats.rows += await out.add(row);
      }
    }
    if (out.exported === 0) {
      const where = options.inputs.length === 1 ? options.inputs[0]! : `${options.inputs.length} files`;
      throw new AccError(stats.read === 0 ? `no records in ${where}` : `no trajectories exported from ${where}: all ${stats.read} lines were refused, nothing was written (first: ${firstReject})`, {
        code: "no-records",
        fix: `--to ${options.target} reads trajectories JSONL from acc import or acc rollout`,
      });
    }
  } catch (error) {
    await out.abort();
    throw error;
  }
  stats.exported = out.exported;
  stats.rejected = out.rejected;
  const cardOptions: CardOptions = { ...options, ...(options.tokenizer ? { tokenizerName: options.tokenizer.name } : {}) };
  stats.files = await out.finish(options.name ?? basename(options.outDir), stats, cardOptions);
  return stats;
}

/**
 * `acc merge` of `acc export --shard` shards of trajectories: each trajectory's rows (built.jsonl's
 * lines) and the rejects, in input order, written as the unsharded export writes them.
 */
export async function finishTrajectoryShards(outDir: string, target: TrajectoryTarget, settings: Record<string, unknown>, stats: TrajectoryExportStats, built: AsyncIterable<string>, rejects: AsyncIterable<string>): Promise<TrajectoryExportStats> {
  const { name, ...card } = settings as unknown as TrajectoryShardSettings;
  const out = await TrajectoriesOut.open(outDir, target, card.tokenizerName !== undefined);
  try {
    for await (const text of built) await out.add(JSON.parse(text) as BuiltRows);
    for await (const text of rejects) await out.reject(text);
    if (out.exported === 0) throw new AccError(`no trajectories in the shards: all ${out.rejected} lines were refused, nothing was written`, { code: "no-records", fix: `--to ${target} reads trajectories JSONL from acc import or acc rollout` });
  } catch (error) {
    await out.abort();
    throw error;
  }
  const merged = { ...stats };
  merged.files = await out.finish(name ?? basename(outDir), merged, { ...card, target });
  return merged;
}

/** The files of a trajectories export: the rows, the RL prompt file, rejects.jsonl when a line was refused, the card. */
class TrajectoriesOut {
  exported = 0;
  private readonly rejects: ExportRejects;
  private readonly rl: RlState = { tasks: new Map(), samples: 0, trajectories: 0 };
  private readonly atifVersions: Record<string, number> = {};
  private subagentRefsKept = 0;

  private constructor(
    private readonly outDir: string,
    private readonly target: TrajectoryTarget,
    private readonly data: RowSink,
  ) {
    this.rejects = new ExportRejects(outDir);
  }

  get rejected(): number {
    return this.rejects.count;
  }

  static async open(outDir: string, target: TrajectoryTarget, tokenized: boolean): Promise<TrajectoriesOut> {
    return new TrajectoriesOut(outDir, target, await openSink(outDir, target, tokenized));
  }

  /** A trajectory's rows, placed in the whole run (RL task groups, slime's indices); the rows written. */
  async add(built: BuiltRows): Promise<number> {
    if (built.task !== undefined) {
      let known = this.rl.tasks.get(built.task.id);
      if (known === undefined) {
        known = { task: built.task, group: this.rl.tasks.size, tools: built.tools ?? [] };
        this.rl.tasks.set(built.task.id, known);
      }
      const rollout = this.rl.trajectories++;
      if (this.target === "slime") for (const row of built.values as Record<string, unknown>[]) Object.assign(row, { group_index: known.group, index: this.rl.samples++, rollout_id: rollout });
    }
    if (this.target === "atif") {
      for (const doc of built.values as AtifTrajectory[]) {
        this.atifVersions[doc.schema_version] = (this.atifVersions[doc.schema_version] ?? 0) + 1;
        this.subagentRefsKept += refsKeptInExtra(doc);
      }
    }
    for (const value of built.values) await this.data.add(value);
    this.exported++;
    return built.values.length;
  }

  /** A refused line's record, as rejectLine writes it. */
  async reject(line: string): Promise<void> {
    await this.rejects.add(line);
  }

  async abort(): Promise<void> {
    await Promise.all([this.data.abort(), this.rejects.abort()]);
  }

  /** Commits the rows and rejects, writes the prompt file, dataset_info.json and the card; the files written. */
  async finish(name: string, stats: TrajectoryExportStats, card: CardOptions): Promise<string[]> {
    await Promise.all([this.data.commit(), this.rejects.commit()]);
    const dataFile = DATA_FILE[this.target];
    const files = [dataFile, "README.md"];
    const promptFile = PROMPT_FILE[this.target];
    if (promptFile !== undefined) {
      await writePrompts(join(this.outDir, promptFile), this.target, this.rl);
      files.push(promptFile);
    }
    if (this.target === "llamafactory") {
      await writeFile(join(this.outDir, "dataset_info.json"), `${JSON.stringify(llamaFactoryDatasetInfo(dataFile), null, 2)}\n`);
      files.push("dataset_info.json");
    }
    if (this.rejects.written) files.push("rejects.jsonl");
    if (this.target === "atif") Object.assign(stats, { atifVersions: this.atifVersions, subagentRefsKept: this.subagentRefsKept });
    const counts = { ...stats, exported: this.exported };
    await writeFile(join(this.outDir, "README.md"), this.target === "atif" ? atifCard(name, dataFile, counts) : this.target === "hf-traces" ? hfTracesCard(name, counts) : sftCard(name, dataFile, counts, card));
    return files;
  }
}

/** A trajectory's rows before they are placed in the whole run; RL rows carry their task and tools. */
interface BuiltRows {
  values: unknown[];
  task?: RlTask;
  tools?: Record<string, unknown>[];
}

type Rows = ({ ok: true } & BuiltRows) | { ok: false; reason: string };

function toRows(value: unknown, options: TrajectoryExportOptions, stats: TrajectoryExportStats, modules: TargetModules): Rows {
  const checked = validateFast(Trajectory, withTypedWarnings(value));
  if (!checked.ok) return { ok: false, reason: `not a valid trajectory: ${formatProblems(checked.problems)}` };
  const t = checked.value;
  if (options.target === "hf-traces") {
    // Sessions are published as they are: every text is redacted again (placeholders already there are counted, not changed).
    const redacted = modules.redactTrajectory!(t, "on");
    for (const [type, n] of Object.entries(redacted.secrets?.counts ?? {})) stats.redacted[type] = (stats.redacted[type] ?? 0) + n;
    stats.messages += t.messages.length;
    return { ok: true, values: [redacted] };
  }
  if (options.target === "atif") {
    const doc = modules.atif!.trajectoryToAtif(t);
    const errors = modules.atif!.atifErrors(doc);
    // A trajectory acc cannot write as valid ATIF is a defect of the mapping; it is refused, never written half-valid.
    if (errors.length > 0) return { ok: false, reason: `trajectory ${t.id} does not map to valid ATIF: ${errors.slice(0, 3).join("; ")}` };
    return { ok: true, values: [doc] };
  }
  const conversation = sftConversation(t, options.mask ?? "assistant");
  if (!conversation.train.some(Boolean)) return { ok: false, reason: `trajectory ${t.id} has no assistant turn to train with --mask ${options.mask ?? "assistant"}` };
  if (options.tokenizer !== undefined) {
    // --max-tokens rows start where a summary or compaction replaced the context (summary-segments.ts), then fit the budget.
    const segments = options.maxTokens !== undefined ? summarySegments(t, conversation) : [{ trajectory: t, conversation }];
    const tokenRows: TokenRow[] = [];
    let partial = false;
    for (const segment of segments) {
      try {
        const made = trajectoryTokenRows(segment.trajectory, segment.conversation, options.tokenizer);
        tokenRows.push(...made.rows);
        partial ||= made.fallback !== undefined;
      } catch (error) {
        return { ok: false, reason: `trajectory ${t.id}: ${(error as Error).message}` };
      }
    }
    const rows = options.maskToolArgs ? tokenRows.map((r) => maskToolCalls(r, options.tokenizer!)).filter((r) => r.response_mask.some(Boolean)) : tokenRows;
    if (rows.length === 0) return { ok: false, reason: `trajectory ${t.id} has no trained token with --mask ${options.mask ?? "assistant"}${options.maskToolArgs ? " --mask-tool-args" : ""}` };
    if (partial) stats.partialRecorded++;
    if (options.target === "verl" || options.target === "slime") {
      for (const row of rows) stats.tokenSources[row.token_source]++;
      return { ok: true, ...rlRows(t, conversation, rows, options) };
    }
    let pieces = rows;
    if (options.maxTokens !== undefined) {
      pieces = [];
      for (const row of rows) {
        const split = splitRow(row, options.maxTokens, options.tokenizer);
        if (!split.ok) return { ok: false, reason: `trajectory ${t.id}: ${split.reason}` };
        pieces.push(...split.rows);
      }
    }
    for (const piece of pieces) stats.tokenSources[piece.token_source]++;
    return {
      ok: true,
      values: pieces.map((r, part) => {
        const { input_ids, loss_mask } = wholeRow(r, conversation.trainEverything);
        return {
          id: pieces.length > 1 ? `${t.id}#${part}` : t.id,
          input_ids,
          labels: input_ids.map((id, k) => (loss_mask[k] ? id : IGNORE)),
          loss_mask,
          ...(options.target === "trl" ? { assistant_masks: loss_mask } : {}),
          token_source: r.token_source,
        };
      }),
    };
  }
  if (options.target === "llamafactory") {
    const row = llamaFactoryRow(t.id, conversation, options.mask ?? "assistant", options.reasoning === "none" ? "none" : "think");
    return row.ok ? { ok: true, values: [row.row] } : row;
  }
  const reasoning = options.reasoning ?? "field";
  if (options.target === "parquet") {
    const messages = rowMessages(conversation, reasoning, false).map((m, i) => (m.role === "assistant" ? { ...m, training: conversation.train[i] } : m));
    return { ok: true, values: [{ id: t.id, messages, tools: conversation.tools, domain: t.domain } satisfies ParquetConversationRow] };
  }
  if (options.target === "openai") {
    const messages = rowMessages(conversation, reasoning, false).map((m, i) => (m.role === "assistant" ? { ...m, weight: conversation.train[i] ? 1 : 0 } : m));
    return { ok: true, values: [{ messages, ...(conversation.tools.length > 0 ? { tools: conversation.tools } : {}) }] };
  }
  const messages = rowMessages(conversation, reasoning, true).map((m, i) => (options.target === "axolotl" && m.role === "assistant" ? { ...m, training: conversation.train[i] } : m));
  return { ok: true, values: [{ id: t.id, messages, tools: conversation.tools, domain: t.domain }] };
}

/**
 * A row's prompt and response joined again, as packed arrays: JSON.stringify writes an array with holes
 * (what `new Array(n).fill(…)` makes) about 4× slower, and the mask is written twice in TRL rows.
 */
function wholeRow(row: TokenRow, promptTrained: boolean): { input_ids: number[]; loss_mask: number[] } {
  const loss_mask: number[] = [];
  const prompt = promptTrained ? 1 : 0;
  for (let k = 0; k < row.prompt_ids.length; k++) loss_mask.push(prompt);
  for (const trained of row.response_mask) loss_mask.push(trained);
  return { input_ids: row.prompt_ids.concat(row.response_ids), loss_mask };
}

/** RL rows and their task; slime's group, index and rollout are placed when the rows are written (TrajectoriesOut.add). */
function rlRows(t: Trajectory, conversation: ReturnType<typeof sftConversation>, rows: TokenRow[], options: TrajectoryExportOptions): BuiltRows {
  const task = rlTask(t, conversation);
  const values = options.target === "verl" ? rows.map((row, i) => verlRow(t, task, row, i, rows.length)) : rows.map((row) => slimeSample(t, task, row, { group: 0, index: 0, rollout: 0 }, options.tokenizer!));
  return { values, task, tools: conversation.tools };
}

async function writePrompts(path: string, target: TrajectoryTarget, rl: RlState): Promise<void> {
  const tasks = [...rl.tasks.values()];
  if (target === "verl") return writeVerlPrompts(path, tasks.map((k) => verlPrompt(k.task, k.group, k.tools)));
  const file = await AtomicFile.create(path);
  try {
    for (const k of tasks) await file.write(`${JSON.stringify(slimePrompt(k.task, k.tools))}\n`);
  } catch (error) {
    await file.abort();
    throw error;
  }
  await file.commit();
}

/**
 * Sub-agent references a document keeps under its results' `extra.acc` because they name no file and
 * no embedded sub-agent (Harbor's v1.8 validator refuses them as references; atif.ts puts them there).
 * Counted here, not in atif.ts, so that acc merge counts them without loading the ATIF modules.
 */
function refsKeptInExtra(doc: AtifTrajectory): number {
  let count = 0;
  for (const step of doc.steps) {
    for (const result of step.observation?.results ?? []) {
      const acc = isRecord(result.extra) ? result.extra.acc : undefined;
      if (isRecord(acc) && Array.isArray(acc.subagent_trajectory_ref)) count += acc.subagent_trajectory_ref.filter((ref) => !(isRecord(ref) && ref.trajectory_path)).length;
    }
  }
  return count;
}

/** The Hub's metadata block of a trajectories card: its tags and the one train split. */
function frontMatter(tags: readonly string[], dataFile: string): string {
  return `---
tags:
${tags.map((tag) => `- ${tag}\n`).join("")}configs:
- config_name: default
  data_files:
  - split: train
    path: ${dataFile}
---
`;
}

function atifCard(name: string, dataFile: string, stats: TrajectoryExportStats): string {
  // The versions written: v1.7, and v1.8 for documents with audio parts (src/records/atif.ts ATIF_VERSION).
  const versions = Object.entries(stats.atifVersions ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([version, n]) => `${version}: ${n}`)
    .join(", ");
  const kept = stats.subagentRefsKept ?? 0;
  return `${frontMatter(["agent-trajectories", "atif"], dataFile)}
# ${name}

${stats.exported} agent trajectories in Harbor's Agent Trajectory Interchange Format (${versions}), one
document per line of \`${dataFile}\`, written by [acc](https://www.npmjs.com/package/agent-context-compiler)
and validated against ATIF's JSON Schema and Harbor's v1.8 validator rules. Fields ATIF has no slot for are under \`extra.acc\`;
\`acc import ${dataFile}\` reads the same trajectories back.
${kept > 0 ? `\n${kept} sub-agent references name no trajectory file and no embedded sub-agent, which Harbor's v1.8 validator\nrefuses: they are kept under their result's \`extra.acc.subagent_trajectory_ref\`, not as \`subagent_trajectory_ref\`.\n` : ""}`;
}

function sftCard(name: string, dataFile: string, stats: TrajectoryExportStats, options: CardOptions): string {
  if (options.target === "verl" || options.target === "slime") return rlCard(name, dataFile, stats, options);
  const tokenized = options.tokenizerName !== undefined;
  return `${frontMatter(["agent-trajectories", "multi-turn", "tool-use"], dataFile)}
# ${name}

${stats.exported} agent trajectories as ${stats.rows} multi-turn ${options.target} rows (\`${dataFile}\`), written by
[acc](https://www.npmjs.com/package/agent-context-compiler): system, user, assistant (with its tool calls
and reasoning) and tool messages, and the tools the agent had.

- Trained turns (\`--mask\`): ${options.mask ?? "assistant"}${options.maskToolArgs ? ", their tool calls (`<tool_call>` … `</tool_call>`) not trained (`--mask-tool-args`)" : ""}
- ${tokenized ? `Tokenized with ${options.tokenizerName}'s chat template: \`input_ids\`, \`labels\` (-100 where not trained), \`loss_mask\`` : `Reasoning: ${options.reasoning ?? (options.target === "llamafactory" ? "think" : "field")}`}
${loading(dataFile, options)}`;
}

/** How to load the rows: LLaMA-Factory's dataset entry and training arguments, or `datasets`. */
function loading(dataFile: string, options: CardOptions): string {
  if (options.target === "llamafactory") {
    const argument = LLAMAFACTORY_TRAINING[options.mask ?? "assistant"];
    return `
## Loading

Point LLaMA-Factory's \`dataset_dir\` at this folder (its \`dataset_info.json\` names the columns) and train
with \`dataset: acc_trajectories\`, \`template:\` your model's template${argument === undefined ? "" : ` and \`${argument}\` (the trained turns of \`--mask ${options.mask}\`)`}.
`;
  }
  if (options.target !== "parquet") return "";
  return `
## Loading

\`\`\`python
from datasets import load_dataset

dataset = load_dataset("parquet", data_files="${dataFile}", split="train")
\`\`\`
`;
}

function rlCard(name: string, dataFile: string, stats: TrajectoryExportStats, options: CardOptions): string {
  const verl = options.target === "verl";
  return `${frontMatter(["agent-trajectories", "reinforcement-learning", options.target], dataFile)}
# ${name}

${stats.exported} agent trajectories as ${stats.rows} ${verl ? "verl `AgentLoopOutput`" : "slime `Sample`"} rows (\`${dataFile}\`), and the
prompt file the trainer starts rollouts from (\`${PROMPT_FILE[options.target]}\`), written by
[acc](https://www.npmjs.com/package/agent-context-compiler).

- Trained turns (\`--mask\`): ${options.mask ?? "assistant"}${options.maskToolArgs ? ", their tool calls (`<tool_call>` … `</tool_call>`) not trained (`--mask-tool-args`)" : ""}
- Token ids: ${stats.tokenSources.recorded} rows with the ids the log recorded, ${stats.tokenSources.tokenizer} rendered with ${options.tokenizerName}'s chat template
`;
}

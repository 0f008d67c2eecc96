import type { EvidencePiece } from "../records/sample.js";
import type { Domain, Locator, Trajectory } from "../records/trajectory.js";
import type { FindingCounts, RedactMode } from "../privacy/types.js";
import { extractEvidence } from "./evidence/index.js";
import { filesInPatch, goldPatch } from "./evidence/swe.js";
import { redactEvidence } from "./redact.js";
import type { CountCache, PromptTokenizer } from "./pack.js";
import { buildSample, type SampleOptions } from "./sample.js";
import { SourceResolver, type SourceOptions } from "./sources.js";
import type { SqlParse } from "./sql-tables.js";
import { type SampleSummary, summarise, type TrajectoryNotes } from "./stats.js";
import { TaskIndex, type TaskIdentity, taskIdentity } from "./task-identity.js";

/** Everything a worker needs to compile trajectories the same way the main thread would. */
export interface CompileSetup {
  sample: SampleOptions;
  sources: SourceOptions;
  tokenizer: string;
  pool: Partial<Record<Domain, EvidencePiece[]>>;
  /** Task identities of the trajectories the pool's pieces come from, by trajectory id. */
  poolTasks: Record<string, TaskIdentity>;
  /** Redaction of evidence read from `--repo` and `--db` (trajectories are redacted when imported). */
  redact: RedactMode;
  /** Token counts of the pool pieces' bodies, counted once for every worker. */
  poolCounts: Record<string, number>;
}

/** A trajectory that did not become a sample, as listed in the rejects file. */
export interface CompileDrop {
  stage: "compile";
  file: string;
  locator: Locator;
  trajectory_id: string;
  domain: Domain;
  reason: string;
}

/** A sample or a drop, with the secrets found in evidence read from outside the trajectory. */
export type BatchItem = ({ kind: "sample"; line: string; summary: SampleSummary } | { kind: "drop"; drop: CompileDrop; notes: TrajectoryNotes }) & { secrets: FindingCounts };

/** Compiles batches of trajectories; the same code runs in worker threads and in-process. */
export class BatchCompiler {
  private readonly resolver: SourceResolver;
  private readonly counts: CountCache;
  private readonly tasks: TaskIndex;

  constructor(
    private readonly setup: CompileSetup,
    private readonly tokenizer: PromptTokenizer,
  ) {
    this.resolver = new SourceResolver(setup.sources);
    this.counts = { poolBodies: new Map(Object.entries(setup.poolCounts)), headers: new Map() };
    this.tasks = new TaskIndex(setup.poolTasks);
  }

  run(trajectories: readonly Trajectory[]): BatchItem[] {
    return trajectories.map((trajectory) => {
      const sqlStatements: Partial<Record<SqlParse, number>> = {};
      const sources = { ...this.resolver.for(trajectory), onSqlStatement: (parse: SqlParse) => (sqlStatements[parse] = (sqlStatements[parse] ?? 0) + 1) };
      const { pieces, counts: secrets } = redactEvidence(extractEvidence(trajectory, sources), this.setup.redact, trajectory);
      const sameTask = this.tasks.sameTask(taskIdentity(trajectory));
      const patch = trajectory.domain === "swe" ? goldPatch(trajectory) : null;
      const before = sources.repo && patch ? filesInPatch(patch).flatMap((file) => sources.repo!.read(file) ?? []) : [];
      const result = buildSample(
        trajectory,
        {
          pieces,
          pool: this.setup.pool[trajectory.domain] ?? [],
          sameTask: (piece) => piece.origins.some((origin) => sameTask.has(origin.trajectory_id)),
          before,
        },
        this.tokenizer,
        this.setup.sample,
        this.counts,
      );
      const notes: TrajectoryNotes = { guards: result.guards, sqlStatements, ...(sources.repoBase ? { repoBase: sources.repoBase } : {}) };
      if (result.ok) return { kind: "sample", line: JSON.stringify(result.sample), summary: summarise(result.sample, notes), secrets };
      return {
        kind: "drop",
        secrets,
        notes,
        drop: {
          stage: "compile",
          file: trajectory.source.file,
          locator: trajectory.source.locator,
          trajectory_id: trajectory.id,
          domain: trajectory.domain,
          reason: result.reason,
        },
      };
    });
  }

  close(): void {
    this.resolver.close();
  }
}

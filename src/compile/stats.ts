import { addMillionths } from "../shard/stats.js";
import { trajectoryFindings } from "../privacy/trajectory.js";
import { addCounts, type FindingCounts, sortedCounts } from "../privacy/types.js";
import type { Sample } from "../records/sample.js";
import type { Domain, Trajectory } from "../records/trajectory.js";
import type { RepoBase } from "./evidence/index.js";
import type { LeakKind } from "./leaks.js";
import type { SampleGuards } from "./sample.js";
import type { SqlParse } from "./sql-tables.js";

/** Prompt lengths are kept as a histogram (bins of this many tokens), so stats merge and stay small. */
const BIN = 256;
/** Fills (prompt / target) are kept as a histogram of bins this wide. */
const FILL_BIN = 0.05;

export interface DomainStats {
  samples: number;
  dropped: Record<string, number>;
  prompt_tokens_histogram: Record<string, number>;
  prompt_tokens: number;
  prompt_tokens_min: number;
  prompt_tokens_max: number;
  evidence_tokens: number;
  context_tokens: number;
  distractor_tokens: number;
  /** Samples by fill (prompt / target tokens), in bins of 0.05 keyed by their lower edge. */
  fill_histogram: Record<string, number>;
  fill_sum: number;
  fill_min: number;
  /** Samples marked `under_filled` (below half their target). */
  under_filled: number;
  /** Pieces cut out because they held the answer (in kept and dropped samples), by what they held. */
  answer_leaks_cut: Partial<Record<LeakKind, number>>;
  /** Samples (kept or dropped) that had at least one piece cut. */
  samples_with_leaks_cut: number;
  /** Pool pieces withheld from samples of their own task, and the samples that had some. */
  same_task_withheld: number;
  samples_with_same_task_withheld: number;
  /** SWE trajectories with `--repo`, by where their files were read (see RepoBase). */
  repo_base: Partial<Record<RepoBase, number>>;
  /** SQL statements with `--db`, by how their tables were read (see SqlParse). */
  sql_statements: Partial<Record<SqlParse, number>>;
}

/** What compiling one trajectory noted, whether it became a sample or was dropped. */
export interface TrajectoryNotes {
  guards: SampleGuards;
  repoBase?: RepoBase;
  sqlStatements: Partial<Record<SqlParse, number>>;
}

export interface CompileStatsData {
  read: number;
  import_rejected: number;
  samples: number;
  dropped: number;
  domains: Partial<Record<Domain, DomainStats>>;
  /** Secrets found in the trajectories read (redacted before compiling, unless --redact report), by type. */
  secrets: FindingCounts;
  trajectories_with_secrets: number;
  /** Secrets found in evidence read from outside the trajectories (`--repo` files, `--db` tables), by type. */
  evidence_secrets: FindingCounts;
}

/** What the stats keep of one sample (small enough to send back from a worker). */
export interface SampleSummary {
  domain: Domain;
  prompt_tokens: number;
  evidence_tokens: number;
  context_tokens: number;
  distractor_tokens: number;
  fill: number;
  under_filled: boolean;
  notes: TrajectoryNotes;
}

export function summarise(sample: Sample, notes: TrajectoryNotes): SampleSummary {
  const tokens = (role: string) =>
    sample.meta.pieces.filter((p) => p.role === role).reduce((sum, p) => sum + p.token_end - p.token_start, 0);
  return {
    domain: sample.meta.domain,
    prompt_tokens: sample.meta.prompt_tokens,
    evidence_tokens: tokens("evidence"),
    context_tokens: tokens("context"),
    distractor_tokens: tokens("distractor"),
    fill: sample.meta.fill ?? sample.meta.prompt_tokens / sample.meta.target_tokens,
    under_filled: sample.meta.under_filled !== undefined,
    notes,
  };
}

/** Totals of a compile run: read = samples + dropped + import rejects; mergeable and resumable. */
export class CompileStats {
  data: CompileStatsData = { read: 0, import_rejected: 0, samples: 0, dropped: 0, domains: {}, secrets: {}, trajectories_with_secrets: 0, evidence_secrets: {} };

  static from(data: CompileStatsData): CompileStats {
    const stats = new CompileStats();
    stats.data = structuredClone(data);
    // A checkpoint written before secrets were counted has no secrets fields.
    stats.data.secrets ??= {};
    stats.data.trajectories_with_secrets ??= 0;
    stats.data.evidence_secrets ??= {};
    // A checkpoint written before fill, leak and same-task counts has none of them.
    for (const d of Object.values(stats.data.domains)) Object.assign(d, { ...emptyNotedStats(), ...d });
    return stats;
  }

  /** Counts the secrets found in a trajectory's evidence read from `--repo` and `--db`. */
  evidence(counts: FindingCounts): void {
    addCounts(this.data.evidence_secrets, counts);
    this.data.evidence_secrets = sortedCounts(this.data.evidence_secrets);
  }

  /** Counts the secrets a trajectory's redaction recorded (each trajectory once, whether sampled or dropped). */
  trajectory(trajectory: Trajectory): void {
    if (trajectory.secrets === undefined) return;
    addCounts(this.data.secrets, trajectoryFindings(trajectory));
    this.data.secrets = sortedCounts(this.data.secrets);
    this.data.trajectories_with_secrets++;
  }

  importRejected(): void {
    this.data.read++;
    this.data.import_rejected++;
  }

  dropped(domain: Domain, reason: string, notes?: TrajectoryNotes): void {
    this.data.read++;
    this.data.dropped++;
    const d = this.domain(domain);
    d.dropped[reason] = (d.dropped[reason] ?? 0) + 1;
    if (notes) this.noted(d, notes);
  }

  sampled(summary: SampleSummary): void {
    this.data.read++;
    this.data.samples++;
    const d = this.domain(summary.domain);
    d.samples++;
    d.prompt_tokens += summary.prompt_tokens;
    d.prompt_tokens_min = Math.min(d.prompt_tokens_min, summary.prompt_tokens);
    d.prompt_tokens_max = Math.max(d.prompt_tokens_max, summary.prompt_tokens);
    const bin = String(Math.floor(summary.prompt_tokens / BIN) * BIN);
    d.prompt_tokens_histogram[bin] = (d.prompt_tokens_histogram[bin] ?? 0) + 1;
    d.evidence_tokens += summary.evidence_tokens;
    d.context_tokens += summary.context_tokens;
    d.distractor_tokens += summary.distractor_tokens;
    const fillBin = (Math.min(Math.floor(summary.fill / FILL_BIN), 1 / FILL_BIN - 1) * FILL_BIN).toFixed(2);
    d.fill_histogram[fillBin] = (d.fill_histogram[fillBin] ?? 0) + 1;
    // in millionths: the sum of shards' sums is then the same double as the whole run's (acc merge)
    d.fill_sum = addMillionths(d.fill_sum, summary.fill);
    d.fill_min = Math.min(d.fill_min, summary.fill);
    if (summary.under_filled) d.under_filled++;
    this.noted(d, summary.notes);
  }

  private noted(d: DomainStats, { guards, repoBase, sqlStatements }: TrajectoryNotes): void {
    if (repoBase !== undefined) d.repo_base[repoBase] = (d.repo_base[repoBase] ?? 0) + 1;
    for (const [parse, n] of Object.entries(sqlStatements) as [SqlParse, number][]) d.sql_statements[parse] = (d.sql_statements[parse] ?? 0) + n;
    const cut = Object.entries(guards.cut) as [LeakKind, number][];
    for (const [kind, n] of cut) d.answer_leaks_cut[kind] = (d.answer_leaks_cut[kind] ?? 0) + n;
    if (cut.length > 0) d.samples_with_leaks_cut++;
    d.same_task_withheld += guards.sameTaskWithheld;
    if (guards.sameTaskWithheld > 0) d.samples_with_same_task_withheld++;
  }

  /** The p-th percentile (0–100) of a domain's fills, to its bin's upper edge (never above 1). */
  fillPercentile(domain: Domain, p: number): number | undefined {
    const d = this.data.domains[domain];
    if (!d || d.samples === 0) return undefined;
    const bins = Object.entries(d.fill_histogram).map(([k, n]) => [Number(k), n] as const).sort((a, b) => a[0] - b[0]);
    const rank = Math.ceil((p / 100) * d.samples);
    let seen = 0;
    for (const [start, n] of bins) {
      seen += n;
      if (seen >= rank) return Math.min(1, start + FILL_BIN);
    }
    return 1;
  }

  /** The p-th percentile (0–100) of a domain's prompt lengths, to the bin's upper edge (never above the maximum). */
  percentile(domain: Domain, p: number): number | undefined {
    const d = this.data.domains[domain];
    if (!d || d.samples === 0) return undefined;
    const bins = Object.entries(d.prompt_tokens_histogram).map(([k, n]) => [Number(k), n] as const).sort((a, b) => a[0] - b[0]);
    const rank = Math.ceil((p / 100) * d.samples);
    let seen = 0;
    for (const [start, n] of bins) {
      seen += n;
      if (seen >= rank) return Math.min(start + BIN, d.prompt_tokens_max);
    }
    return d.prompt_tokens_max;
  }

  private domain(domain: Domain): DomainStats {
    let d = this.data.domains[domain];
    if (!d) {
      d = {
        samples: 0,
        dropped: {},
        prompt_tokens_histogram: {},
        prompt_tokens: 0,
        prompt_tokens_min: Number.MAX_SAFE_INTEGER,
        prompt_tokens_max: 0,
        evidence_tokens: 0,
        context_tokens: 0,
        distractor_tokens: 0,
        ...emptyNotedStats(),
      };
      this.data.domains[domain] = d;
    }
    return d;
  }
}

type NotedStats = "fill_histogram" | "fill_sum" | "fill_min" | "under_filled" | "answer_leaks_cut" | "samples_with_leaks_cut" | "same_task_withheld" | "samples_with_same_task_withheld" | "repo_base" | "sql_statements";

function emptyNotedStats(): Pick<DomainStats, NotedStats> {
  return { fill_histogram: {}, fill_sum: 0, fill_min: 1, under_filled: 0, answer_leaks_cut: {}, samples_with_leaks_cut: 0, same_task_withheld: 0, samples_with_same_task_withheld: 0, repo_base: {}, sql_statements: {} };
}

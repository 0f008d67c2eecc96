import { createHash } from "node:crypto";
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { trackTempDir } from "../io/cleanup.js";
import { AccError } from "../errors/acc-error.js";
import type { Message, Trajectory } from "../records/trajectory.js";
import { argumentsText } from "./sft.js";

/**
 * The Hugging Face Hub's Session Trace Simple Format (STS-Format: hub-docs
 * docs/hub/session-traces-format.md, 242f4a1): one JSONL file per session, a header line
 * `{type: "session", harness, id, name}` then one `{type: "message", message}` line per message, with
 * `role`, `content`, and where present `reasoningContent`, `toolCalls: [{id, function: {name,
 * arguments (JSON string)}}]`, `toolCallId`, `timestamp` (epoch ms) and `model`.
 */
export const SESSIONS_DIR = "sessions";

/**
 * `harness` is the id of the harness that produced the trace. Sessions of agents the Hub's harness
 * registry lists (huggingface.js packages/tasks/src/agent-harnesses.ts) carry its id; the rest were
 * written by acc (its rollouts, or logs of harnesses the registry does not know).
 */
const HARNESS_OF_FORMAT: Record<string, string> = { "claude-code": "claude-code", codex: "codex" };

export function sessionLines(t: Trajectory): string[] {
  const header = {
    type: "session",
    harness: HARNESS_OF_FORMAT[t.source.format] ?? "acc",
    id: t.id,
    name: sessionName(t),
    // Extra metadata, which the format allows and the viewer ignores.
    source_format: t.source.format,
    domain: t.domain,
    ...(t.model !== undefined ? { model: t.model } : {}),
  };
  return [header, ...t.messages.map((m) => ({ type: "message", message: stsMessage(m, t.model) }))].map((line) => JSON.stringify(line));
}

function sessionName(t: Trajectory): string {
  const first = (t.task.question ?? t.messages.find((m) => m.role === "user")?.content ?? t.id).trim().split("\n")[0] ?? "";
  return first.length > 120 ? `${first.slice(0, 119)}…` : first;
}

function stsMessage(m: Message, model: string | undefined): Record<string, unknown> {
  const timestamp = m.timestamp === undefined ? Number.NaN : Date.parse(m.timestamp);
  const when = Number.isFinite(timestamp) ? { timestamp } : {};
  switch (m.role) {
    case "system":
    case "user":
      return { role: m.role, content: m.content, ...when };
    case "tool":
      return { role: "tool", content: m.content, ...(m.call_id !== null ? { toolCallId: m.call_id } : {}), ...when };
    case "assistant":
      return {
        role: "assistant",
        content: m.content ?? "",
        ...(m.reasoning !== null ? { reasoningContent: m.reasoning } : {}),
        ...(m.tool_calls.length > 0 ? { toolCalls: m.tool_calls.map((c) => ({ id: c.id, function: { name: c.name, arguments: argumentsText(c) } })) } : {}),
        ...when,
        ...((m.model ?? model) !== undefined ? { model: m.model ?? model } : {}),
      };
  }
}

/**
 * A session's file name: its id with anything but letters, digits, `.`, `_` and `-` replaced, never
 * starting with a dot (ids come from logs: `../x` or `/etc/passwd` must not name a path outside
 * sessions/), with a short hash of the id when it was changed or is long, so two ids never share a file.
 */
export function sessionFileName(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_").slice(0, 100);
  const hash = createHash("sha256").update(id).digest("hex").slice(0, 12);
  return `${safe === id ? safe : `${safe}-${hash}`}.jsonl`;
}

/**
 * Writes session files into a temporary folder beside `sessions/` and moves it into place on commit,
 * so an interrupted or failed export leaves no half-written sessions. An earlier `sessions/` is
 * replaced only when it holds nothing but session files.
 */
export class SessionsWriter {
  private readonly tempDir: string;
  private readonly untrack: () => void;
  private readonly names = new Set<string>();
  private made = false;

  constructor(private readonly outDir: string) {
    this.tempDir = join(outDir, `.${SESSIONS_DIR}.tmp-${process.pid}`);
    this.untrack = trackTempDir(this.tempDir);
  }

  async add(t: Trajectory): Promise<void> {
    if (!this.made) {
      await rm(this.tempDir, { recursive: true, force: true });
      await mkdir(this.tempDir);
      this.made = true;
    }
    const name = sessionFileName(t.id);
    if (this.names.has(name)) throw new AccError(`two trajectories have the id ${t.id}; each session file is named by its trajectory's id`, { code: "duplicate-id", fix: "export each set of trajectories to its own folder, or give the trajectories distinct ids" });
    this.names.add(name);
    await writeFile(join(this.tempDir, name), `${sessionLines(t).join("\n")}\n`);
  }

  async commit(): Promise<void> {
    const target = join(this.outDir, SESSIONS_DIR);
    const existing = await readdir(target).catch(() => undefined);
    if (existing !== undefined) {
      const foreign = existing.filter((name) => !name.endsWith(".jsonl"));
      if (foreign.length > 0) {
        await this.abort();
        throw new AccError(`${target} holds files acc did not write (${foreign.slice(0, 3).join(", ")}); they would be mixed with the sessions`, { code: "output-in-use", fix: "choose another output folder, or move that sessions folder away" });
      }
      await rm(target, { recursive: true });
    }
    await rename(this.tempDir, target);
    this.untrack();
  }

  async abort(): Promise<void> {
    await rm(this.tempDir, { recursive: true, force: true });
    this.untrack();
  }
}

/**
 * The upload command of the card: only the card and the sessions, named by \`--include\`, since \`hf upload\`
 * of a folder sends every file in it (acc's \`.acc-output.json\` and \`rejects.jsonl\` included).
 */
export const HF_UPLOAD = `hf upload <username>/<dataset-name> . --repo-type dataset --include README.md --include "${SESSIONS_DIR}/*.jsonl"`;

/** The dataset card: the Hub's YAML block (the sessions as the train split) and how the files were made. */
export function hfTracesCard(name: string, stats: { exported: number; messages: number; redacted: Record<string, number> }): string {
  const redacted = Object.entries(stats.redacted).sort(([a], [b]) => a.localeCompare(b));
  return `---
pretty_name: ${JSON.stringify(name)}
license: other
tags:
- agent-traces
- agent-trajectories
configs:
- config_name: default
  data_files:
  - split: train
    path: ${SESSIONS_DIR}/*.jsonl
---

# ${name}

${stats.exported} agent sessions (${stats.messages} messages), one file each in \`${SESSIONS_DIR}/\`, in the Hugging Face
Hub's [Session Trace Simple Format](https://huggingface.co/docs/hub/session-traces-format), which its trace
viewer renders: a \`session\` header line, then one \`message\` line per system, user, assistant (with its
reasoning and tool calls) and tool message. Written by [acc](https://www.npmjs.com/package/agent-context-compiler).

Secrets and personal details found by acc's detectors are replaced by \`<SECRET:type>\` placeholders
(${redacted.length === 0 ? "none found" : redacted.map(([type, n]) => `${type}: ${n}`).join(", ")}). Detectors miss things: read the sessions
before publishing them, or keep the dataset private.

## Upload

From this folder (the files named are the dataset; acc's own bookkeeping beside them, \`.acc-output.json\`
and \`rejects.jsonl\`, stays out):

\`\`\`sh
${HF_UPLOAD}
\`\`\`

## Licence

The sessions hold text from the source agent logs and what the agents read: check their licences
before redistributing.
`;
}

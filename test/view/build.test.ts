// acc view without a browser: the site's files, links and counts against the raw inputs; escaping as a
// property; unreadable lines, stubs, pages and shards, reruns and failures. test/view/browser.test.ts
// checks the pages in Chromium.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import { blockHeader } from "../../src/compile/render.js";
import type { Sample } from "../../src/records/sample.js";
import type { Trajectory } from "../../src/records/trajectory.js";
import { escapeHtml, html } from "../../src/view/html.js";
import { CONTENT_SECURITY_POLICY } from "../../src/view/layout.js";
import { shorten } from "../../src/view/render/common.js";
import { splitPrompt } from "../../src/view/render/sample.js";
import { PAGE_SIZE } from "../../src/view/section.js";
import { pageKey } from "../../src/view/store.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { compileExamples, importExamples, readJsonl, writeJsonl } from "./fixtures.js";

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function unescapeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[name]!);
}

async function view(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(["view", ...args, "-q"]);
}

describe("html escaping", () => {
  it("any text becomes text: no markup character survives, and unescaping gives the text back", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const escaped = escapeHtml(text);
        assert.doesNotMatch(escaped, /[<>"']/);
        assert.equal(unescapeHtml(escaped), text);
        assert.equal(html`<p title="${text}">${text}</p>`.text, `<p title="${escaped}">${escaped}</p>`);
      }),
    );
  });

  it("Html made by the tag is not escaped twice; arrays and empty values join", () => {
    const inner = html`<b>${"<i>"}</b>`;
    assert.equal(html`<p>${inner}${["a", "<", null, undefined, false]}</p>`.text, "<p><b>&lt;i&gt;</b>a&lt;</p>");
  });
});

describe("shorten", () => {
  it("cuts a long text as flattening the whole text would, though it flattens only the head", () => {
    const whole = (text: string, max: number) => {
      const flat = text.replace(/\s+/g, " ").trim();
      return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
    };
    const spacy = fc.stringMatching(/^[ a\n\t]{0,400}$/);
    fc.assert(fc.property(spacy, fc.integer({ min: 1, max: 40 }), (text, max) => assert.equal(shorten(text, max), whole(text, max))));
  });
});

describe("acc view of real stage outputs", () => {
  let dir = "";
  let site = "";
  let trajectories = "";
  let samples = "";

  before(async () => {
    dir = tempDir("acc-view-");
    [trajectories, samples] = await Promise.all([importExamples(dir), compileExamples(dir).then((out) => join(out, "samples.jsonl"))]);
    site = join(dir, "view");
    const result = await view([dir, "-o", site]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /open .*index\.html/);
  });

  it("one page per trajectory and per sample, named by id, and the lists count what the raw files hold", () => {
    const t = readJsonl<Trajectory>(trajectories);
    const s = readJsonl<Sample>(samples);
    assert.deepEqual(readdirSync(join(site, "site/records/trajectory")).sort(), t.map((r) => `${pageKey(r.id)}.html`).sort());
    assert.deepEqual(readdirSync(join(site, "site/records/sample")).sort(), s.map((r) => `${pageKey(r.id)}.html`).sort());
    const shard = readFileSync(join(site, "site", readdirSync(join(site, "site")).find((d) => d.endsWith("compile-samples"))!, "search/1.js"), "utf8");
    const rows = JSON.parse(shard.slice(shard.indexOf(",") + 1, shard.lastIndexOf(")"))) as unknown[][];
    assert.equal(rows.length, s.length);
    assert.deepEqual(rows.map((r) => r[3]).sort(), s.map((r) => r.meta.prompt_tokens).sort());
  });

  it("every link and script of every page points at a file of the site; no page has inline script or style; every page has the policy", () => {
    const pages = filesUnder(site).filter((f) => f.endsWith(".html"));
    assert.ok(pages.length > 10);
    let links = 0;
    for (const file of pages) {
      const text = readFileSync(file, "utf8");
      assert.ok(text.includes(`<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CONTENT_SECURITY_POLICY)}">`), file);
      assert.doesNotMatch(text, /\sstyle=/, `${file}: a style attribute`);
      assert.doesNotMatch(text, /<style/, `${file}: a style element`);
      for (const m of text.matchAll(/<script([^>]*)>/g)) assert.match(m[1]!, /^ src="[^"]*site\/assets\/view\.js" defer$/, `${file}: ${m[0]}`);
      for (const m of text.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
        const target = unescapeHtml(m[1]!);
        if (target.startsWith("#")) continue;
        assert.doesNotMatch(target, /^[a-z]+:/i, `${file}: ${target} is not a relative link`);
        const path = resolve(dirname(file), target.split("#")[0]!);
        assert.ok(existsSync(path), `${relative(site, file)} links to ${target}, which is not there`);
        assert.ok(path.startsWith(site), `${file}: ${target} leaves the site`);
        links++;
      }
    }
    assert.ok(links > pages.length);
  });

  it("a compiled prompt splits into exactly its pieces' documents, in order (every real sample)", () => {
    for (const sample of readJsonl<Sample>(samples)) {
      const user = sample.messages.find((m) => m.role === "user")!;
      const parts = splitPrompt(user.content, sample.meta.pieces);
      assert.ok(parts, sample.id);
      assert.deepEqual(parts.blocks.map((b) => b.piece.id), sample.meta.pieces.map((p) => p.id));
      const rebuilt = parts.before + parts.blocks.map((b) => `${blockHeader(b.index, b.piece.source)}${b.text}\n</document>\n\n`).join("") + parts.after;
      assert.equal(rebuilt, user.content);
    }
  });

  it("the same inputs give the same site, byte for byte (the earlier site among the inputs is not shown)", async () => {
    const again = join(dir, "view-again");
    assert.equal((await view([dir, "-o", again])).code, 0);
    const digest = (root: string) =>
      filesUnder(root)
        .filter((f) => !f.endsWith(".acc-output.json"))
        .map((f) => `${relative(root, f)} ${createHash("sha256").update(readFileSync(f)).digest("hex")}`);
    assert.ok(digest(site).length > 10);
    assert.deepEqual(digest(again), digest(site));
  });
});

describe("acc view: unreadable lines, records of no kind, absent links, pages", () => {
  it("read = shown + unreadable; a record its kind's schema refuses is shown plainly with the problems", async () => {
    const dir = tempDir("acc-view-bad-");
    const file = join(dir, "mixed.jsonl");
    const trajectory = { schema: "acc.trajectory", id: "broken" };
    writeFileSync(file, Buffer.concat([Buffer.from(`{"a": 1}\nnot json\n${JSON.stringify(trajectory)}\n`), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from('[1, 2]\n\n"text"\n')]));
    const out = join(dir, "view");
    const result = await view([file, "-o", out]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /read 6 lines = 4 records shown \+ 2 unreadable/);
    const section = join(out, "site", readdirSync(join(out, "site")).find((d) => d.includes("mixed"))!, "index.html");
    const text = readFileSync(section, "utf8");
    assert.match(text, /Unreadable lines \(2\)/);
    assert.match(text, /not JSON/);
    assert.match(text, /invalid UTF-8/);
    const page = readFileSync(join(out, "site/records/record", `${pageKey("line 3")}.html`), "utf8");
    assert.match(page, /Not a valid trajectory record: at /);
  });

  it("a sample whose trajectory is not among the inputs links to a page that says so and lists who links to it", async () => {
    const dir = tempDir("acc-view-stub-");
    const out = await compileExamples(dir);
    const sample = readJsonl<Sample>(join(out, "samples.jsonl"))[0]!;
    const site = join(dir, "view");
    const result = await view([join(out, "samples.jsonl"), "-o", site]);
    assert.equal(result.code, 0, result.stderr);
    const stub = readFileSync(join(site, "site/records/trajectory", `${pageKey(sample.meta.trajectory_id)}.html`), "utf8");
    assert.match(stub, /not among the inputs/);
    assert.ok(stub.includes(`${pageKey(sample.id)}.html`));
  });

  it("pages of 100 rows with a search shard each; previous and next links; the first page counts them all", async () => {
    const dir = tempDir("acc-view-pages-");
    const count = 2 * PAGE_SIZE + 50;
    writeJsonl(join(dir, "rows.jsonl"), Array.from({ length: count }, (_, i) => ({ id: `r${i}`, question: `question ${i}` })));
    const out = join(dir, "view");
    assert.equal((await view([join(dir, "rows.jsonl"), "-o", out])).code, 0);
    const folder = join(out, "site", readdirSync(join(out, "site")).find((d) => d.includes("rows"))!);
    assert.deepEqual(readdirSync(folder).sort(), ["index.html", "page-2.html", "page-3.html", "search"]);
    const shardRows = (n: number) => {
      const text = readFileSync(join(folder, "search", `${n}.js`), "utf8");
      return (JSON.parse(text.slice(text.indexOf(",") + 1, text.lastIndexOf(")"))) as unknown[]).length;
    };
    assert.deepEqual([1, 2, 3].map(shardRows), [PAGE_SIZE, PAGE_SIZE, 50]);
    const index = readFileSync(join(folder, "index.html"), "utf8");
    assert.match(index, /data-pages="3"/);
    assert.match(index, /page 1 of 3/);
    const middle = readFileSync(join(folder, "page-2.html"), "utf8");
    assert.match(middle, /href="index.html" rel="prev"/);
    assert.match(middle, /href="page-3.html" rel="next"/);
    assert.doesNotMatch(readFileSync(join(folder, "page-3.html"), "utf8"), /rel="next"/);
  });

  it("a rerun replaces the site; another stage's folder is refused; a missing input exits 2 and leaves nothing", async () => {
    const dir = tempDir("acc-view-rerun-");
    writeJsonl(join(dir, "a.jsonl"), [{ id: "first" }]);
    const out = join(dir, "view");
    assert.equal((await view([join(dir, "a.jsonl"), "-o", out])).code, 0);
    writeJsonl(join(dir, "b.jsonl"), [{ id: "second" }]);
    assert.equal((await view([join(dir, "b.jsonl"), "-o", out])).code, 0);
    const sections = readdirSync(join(out, "site")).filter((d) => d !== "assets" && d !== "records");
    assert.equal(sections.length, 1);
    assert.match(sections[0]!, /-b$/);
    assert.deepEqual(readdirSync(out).sort(), [".acc-output.json", "index.html", "site"]);

    mkdirSync(join(dir, "compiled"));
    writeFileSync(join(dir, "compiled", ".acc-output.json"), '{"stage":"compile"}\n');
    writeFileSync(join(dir, "compiled", "samples.jsonl"), "");
    const refused = await view([join(dir, "a.jsonl"), "-o", join(dir, "compiled")]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /holds the outputs of compile/);

    const missing = await view([join(dir, "nope.jsonl"), "-o", join(dir, "fresh")]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr.trim().split("\n").length, 1);
    assert.match(missing.stderr, /nope\.jsonl does not exist/);
    assert.equal(existsSync(join(dir, "fresh")), false);
  });

  it("nothing to show (an empty folder, only unreadable lines) exits 1 with one line and leaves no site; an earlier site stays", async () => {
    const dir = tempDir("acc-view-nothing-");
    mkdirSync(join(dir, "empty"));
    writeFileSync(join(dir, "bad.jsonl"), "not json\n{\n");
    const empty = await view([join(dir, "empty"), "-o", join(dir, "out-empty")]);
    assert.equal(empty.code, 1);
    assert.equal(empty.stderr.trim().split("\n").length, 1);
    assert.match(empty.stderr, /nothing to show .*no JSONL record or JSON document/);
    assert.equal(existsSync(join(dir, "out-empty")), false);
    const bad = await view([join(dir, "bad.jsonl"), "-o", join(dir, "out-bad")]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /all 2 lines are unreadable/);
    assert.equal(existsSync(join(dir, "out-bad")), false);

    writeJsonl(join(dir, "good.jsonl"), [{ id: "kept" }]);
    const out = join(dir, "view");
    assert.equal((await view([join(dir, "good.jsonl"), "-o", out])).code, 0);
    const before = readFileSync(join(out, "index.html"), "utf8");
    assert.equal((await view([join(dir, "bad.jsonl"), "-o", out])).code, 1);
    assert.equal(readFileSync(join(out, "index.html"), "utf8"), before);
    assert.deepEqual(readdirSync(out).sort(), [".acc-output.json", "index.html", "site"]);
  });
});

describe("importer warnings", () => {
  it("a trajectory's page lists each warning by its code beside its message, both escaped", async () => {
    const { renderTrajectory } = await import("../../src/view/render/trajectory.js");
    const t: Trajectory = {
      schema: "acc.trajectory",
      schema_version: "1.0.0",
      id: "t1",
      source: { format: "codex", file: "a.jsonl", locator: { line: 1 } },
      domain: "generic",
      domain_origin: "inferred",
      task: { question: "q", question_origin: "first_user_message", system_prompt: null, ground_truth: null },
      messages: [{ role: "user", content: "q" }],
      final: { answer: null, reasoning: null, kind: "none" },
      outcome: { success: null, reward: null, label_source: null, submitted_patch: null, submitted_sql: null },
      events: [],
      subagents: [],
      warnings: [{ code: "unknown-type", message: "skipped 1 response items of unknown type <img src=x>", count: 1, name: "<img src=x>" }],
      extra: {},
    };
    const page = String(renderTrajectory(t, { recordHref: () => "#", kept: () => [], countTokens: () => ({ count: 0, exact: false }) }));
    assert.match(page, /<li><code>unknown-type<\/code> skipped 1 response items of unknown type &lt;img src=x&gt;<\/li>/);
  });
});

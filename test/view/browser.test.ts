// acc view in a real browser: one headless Chromium for the file, pages opened from file:// and clicked
// through; what they show is checked against counts taken from the raw stage outputs. Hostile records
// (every string carrying markup, scripts and URLs) must run nothing and load nothing. Accessibility
// basics: landmarks, keyboard use, axe-core. Screenshots go to test-output/view/.
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { Chain, Link, PullRequest, StageInstance } from "../../src/records/mine.js";
import { Episode } from "../../src/records/rollout.js";
import { Sample } from "../../src/records/sample.js";
import { Trajectory } from "../../src/records/trajectory.js";
import { type PageKind, pageKey } from "../../src/view/store.js";
import { AXE_SOURCE, BROWSER_MISSING, launchChromium, testOutput } from "../helpers/browser.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { compileExamples, gradeGraphwalks, hostileCopy, importExamples, mineScenario, readJsonl, rolloutSearch, writeJsonl } from "./fixtures.js";

const shots = testOutput("view");

describe("acc view in Chromium", { skip: BROWSER_MISSING }, () => {
  let browser: Browser;
  let context: BrowserContext;
  let canary: Server;
  let port = 0;
  const canaryHits: string[] = [];
  let dir = "";
  let site = "";
  const files = { samples: "", episodes: "", chains: "", results: "", trajectories: "" };

  before(async () => {
    canary = createServer((req, res) => {
      canaryHits.push(req.url ?? "");
      res.end("");
    });
    await new Promise<void>((resolve) => canary.listen(0, "127.0.0.1", resolve));
    port = (canary.address() as AddressInfo).port;

    dir = tempDir("acc-view-browser-");
    
    const [, compile, rollout, mine, evalDir] = await Promise.all([importExamples(dir), compileExamples(dir), rolloutSearch(dir), mineScenario(dir), gradeGraphwalks(dir)]);
    files.samples = join(compile, "samples.jsonl");
    files.episodes = join(rollout, "episodes.jsonl");
    files.chains = join(mine, "chains.jsonl");
    files.results = join(evalDir, "results.jsonl");
    files.trajectories = join(dir, "import", "trajectories.jsonl");
    // hostile copies of real records, in a folder of their own
    const hostile = (name: string, file: string, schema: Parameters<typeof hostileCopy>[1]) =>
      writeJsonl(join(dir, "hostile", name), readJsonl(file).slice(0, 2).map((r) => hostileCopy(r, schema, port)));
    mkdirSync(join(dir, "hostile"));
    hostile("trajectories.jsonl", files.trajectories, Trajectory);
    hostile("samples.jsonl", files.samples, Sample);
    hostile("episodes.jsonl", files.episodes, Episode);
    hostile("chains.jsonl", files.chains, Chain);
    hostile("links.jsonl", join(mine, "links.jsonl"), Link);
    hostile("prs.jsonl", join(mine, "prs.jsonl"), PullRequest);
    hostile("stages.jsonl", join(mine, "stages.jsonl"), StageInstance);
    writeJsonl(join(dir, "hostile", "other.jsonl"), [{ "<script>window.__pwned='key'</script>": `<img src="http://127.0.0.1:${port}/generic">` }]);

    site = join(tempDir("acc-view-site-"), "view");
    const result = await runCli(["view", dir, "-o", site, "-q"]);
    assert.equal(result.code, 0, result.stderr);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => canary?.close(resolve));
  });

  interface Watched {
    page: Page;
    requests: string[];
    problems: string[];
  }

  /** A page that records every request it makes, script errors, dialogs and policy violations. */
  async function open(path: string): Promise<Watched> {
    const page = await context.newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    page.on("pageerror", (e) => problems.push(`error: ${e.message}`));
    page.on("dialog", (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    await page.addInitScript(`document.addEventListener("securitypolicyviolation", (e) => (window.__violations ??= []).push(e.violatedDirective + " " + e.blockedURI));`);
    await page.goto(pathToFileURL(join(site, path)).href);
    return { page, requests, problems };
  }

  const siteUrl = () => pathToFileURL(site).href;

  /** Nothing ran, nothing was refused, nothing outside the site was asked for. */
  async function assertClean(w: Watched): Promise<void> {
    const state = (await w.page.evaluate("({ pwned: window.__pwned, violations: window.__violations ?? [] })")) as { pwned: unknown; violations: string[] };
    assert.equal(state.pwned, undefined, "a payload ran");
    assert.deepEqual(state.violations, [], "the page tried to load or run something its policy refuses");
    assert.deepEqual(w.problems, []);
    for (const url of w.requests) assert.ok(url.startsWith(siteUrl()), `request outside the site: ${url}`);
  }

  /** axe-core's violations; run it last on a page (its own requests would count against assertClean). */
  async function axe(page: Page): Promise<{ id: string; impact: string | null; nodes: number }[]> {
    await page.evaluate(readFileSync(AXE_SOURCE, "utf8"));
    return (await page.evaluate("axe.run().then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })))")) as { id: string; impact: string | null; nodes: number }[];
  }

  it("overview: every file with its record count (counted from the raw files), landmarks, no axe violations", async () => {
    const w = await open("index.html");
    const { page } = w;
    for (const [name, file] of Object.entries(files)) {
      const count = readJsonl(file).length;
      const row = page.locator("tr", { has: page.locator(`a:text-is("${file}")`) });
      assert.equal(await row.count(), 1, `${name} listed once`);
      assert.equal((await row.locator("td").nth(2).textContent())?.trim(), count.toLocaleString("en-US"), `${name}: ${count} records`);
    }
    for (const role of ["banner", "navigation", "main", "contentinfo"]) assert.ok((await page.getByRole(role as "main").count()) >= 1, `landmark ${role}`);
    await page.screenshot({ path: join(shots, "overview.png"), fullPage: true });
    await assertClean(w);
    assert.deepEqual(await axe(page), []);
  });

  it("samples: search and filters over every page's shard give what the raw file holds", async () => {
    const samples = readJsonl<{ id: string; meta: { domain: string; prompt_tokens: number } }>(files.samples);
    const w = await open(sectionOf("samples"));
    const { page } = w;
    const domain = samples[0]!.meta.domain;
    const expected = samples.filter((s) => s.meta.domain === domain);
    await page.selectOption("#domain", domain);
    await page.click("button[type=submit]");
    await page.locator("#status", { hasText: "records searched" }).waitFor();
    assert.equal(await page.locator("#results tbody tr").count(), expected.length);
    assert.match((await page.textContent("#status")) ?? "", new RegExp(`Showing ${expected.length} of ${expected.length} matching`));
    assert.ok(await page.locator(".listing").isHidden());
    // a length range: only samples whose prompt is within it
    const lengths = samples.map((s) => s.meta.prompt_tokens).sort((a, b) => a - b);
    const min = lengths[Math.floor(lengths.length / 2)]!;
    await page.selectOption("#domain", "");
    await page.fill("#min", String(min));
    await page.click("button[type=submit]");
    await page.locator("#status", { hasText: "records searched" }).waitFor();
    assert.equal(await page.locator("#results tbody tr").count(), samples.filter((s) => s.meta.prompt_tokens >= min).length);
    // free text: an id
    await page.fill("#min", "");
    await page.fill("#q", samples[1]!.id);
    await page.click("button[type=submit]");
    await page.locator("#status", { hasText: "records searched" }).waitFor();
    assert.equal(await page.locator("#results tbody tr").count(), 1);
    await page.screenshot({ path: join(shots, "samples-search.png"), fullPage: true });
    // clicking the result opens the sample
    await page.click("#results tbody a");
    await page.waitForURL(/records\/sample\//);
    assert.match((await page.textContent("h1")) ?? "", new RegExp(samples[1]!.id));
    await assertClean(w);
  });

  it("a sample: documents in prompt order, evidence marked, evidence-only toggle, the budget bar's numbers", async () => {
    const sample = readJsonl<Sample>(files.samples).find((s) => s.meta.distractor_count > 0)!;
    const w = await open(recordPath("sample", sample.id));
    const { page } = w;
    const docs = page.locator("li.document");
    assert.equal(await docs.count(), sample.meta.pieces.length);
    for (const [i, piece] of sample.meta.pieces.entries()) assert.equal(await docs.nth(i).getAttribute("data-role"), piece.role);
    const evidence = sample.meta.pieces.filter((p) => p.role === "evidence");
    const evidenceTokens = evidence.reduce((sum, p) => sum + p.token_end - p.token_start, 0);
    assert.match((await page.textContent(".legend")) ?? "", new RegExp(`evidence: ${evidenceTokens.toLocaleString("en-US")} tokens`));
    await page.click("button[data-action=only-evidence]");
    assert.equal(await page.locator("li.document:visible").count(), evidence.length);
    assert.equal(await page.getAttribute("button[data-action=only-evidence]", "aria-pressed"), "true");
    await page.screenshot({ path: join(shots, "sample.png"), fullPage: true });
    await assertClean(w);
    assert.deepEqual(await axe(page), []);
  });

  it("a trajectory: tool calls and results folded, expand all opens them; the link to it from a sample lands on the message", async () => {
    const trajectory = readJsonl<Trajectory>(files.trajectories).find((t) => t.messages.some((m) => m.role === "tool"))!;
    const w = await open(recordPath("trajectory", trajectory.id));
    const { page } = w;
    const results = trajectory.messages.filter((m) => m.role === "tool").length;
    assert.equal(await page.locator("details.result").count(), results);
    assert.equal(await page.locator("details.result[open]").count(), 0);
    await page.click("#conversation ~ .tools button[data-action=expand]");
    assert.equal(await page.locator("details.result[open]").count(), results);
    await page.screenshot({ path: join(shots, "trajectory.png"), fullPage: true });
    await assertClean(w);
    assert.deepEqual(await axe(page), []);
  });

  it("episodes: summaries at segment boundaries, masked episodes marked (checked against episodes.jsonl)", async () => {
    const episodes = readJsonl<Episode>(files.episodes);
    const masked = episodes.find((e) => !e.in_loss);
    const summarized = episodes.find((e) => e.in_loss && e.counts.summaries > 0);
    assert.ok(masked && summarized, "the scripted rollout has a masked and a summarized episode");
    const w = await open(recordPath("episode", summarized.id));
    assert.equal(await w.page.locator(".boundary").count(), summarized.segments.filter((s) => s.summary !== null).length);
    assert.equal(await w.page.locator("li.step").count(), summarized.counts.steps);
    assert.equal(await w.page.locator(".badge", { hasText: "masked out of the loss" }).count(), 0);
    await w.page.screenshot({ path: join(shots, "episode.png"), fullPage: true });
    await assertClean(w);
    const m = await open(recordPath("episode", masked.id));
    assert.equal(await m.page.locator(".badge", { hasText: "masked out of the loss" }).count(), 1);
    await assertClean(m);
    assert.deepEqual(await axe(m.page), []);
  });

  it("chains: each stage with its PR, the link and why, and its problem statement", async () => {
    const chain = readJsonl<Chain>(files.chains).sort((a, b) => b.length - a.length)[0]!;
    const w = await open(recordPath("chain", chain.id));
    const { page } = w;
    assert.equal(await page.locator("li.stage").count(), chain.stages.length);
    assert.equal(await page.locator(".why").count(), chain.stages.filter((s) => s.link !== null).length);
    assert.equal(await page.locator("li.stage details", { hasText: "problem statement" }).count(), chain.stages.length);
    await page.screenshot({ path: join(shots, "chain.png"), fullPage: true });
    // the PR link goes to the PR's page
    await page.click(`li.stage >> nth=0 >> a:text-is("PR #${chain.stages[0]!.pr}")`);
    await page.waitForURL(/records\/pr\//);
    assert.match((await page.textContent("h1")) ?? "", new RegExp(`PR #${chain.stages[0]!.pr}`));
    await assertClean(w);
  });

  it("hostile records: no payload runs or loads anything on any of their pages or in search results; the text is shown as written", async () => {
    const pages = readdirSync(join(site, "site", "records"), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(site.length + 1));
    let checked = 0;
    for (const path of pages) {
      const html = readFileSync(join(site, path), "utf8");
      if (!html.includes("__pwned")) continue;
      const w = await open(path);
      const text = String(await w.page.evaluate("document.body.textContent"));
      assert.ok(text.includes("__pwned"), `${path} shows the payload as text`);
      const expand = w.page.locator("button[data-action=expand]");
      if ((await expand.count()) > 0) await expand.first().click();
      await assertClean(w);
      await w.page.close();
      checked++;
    }
    assert.ok(checked >= 10, `hostile pages checked: ${checked}`);
    const w = await open(sectionOf("hostile-trajectories"));
    await w.page.fill("#q", "pwned");
    await w.page.click("button[type=submit]");
    await w.page.locator("#status", { hasText: "records searched" }).waitFor();
    assert.ok((await w.page.locator("#results tbody tr").count()) >= 1);
    await w.page.screenshot({ path: join(shots, "hostile-search.png"), fullPage: true });
    await assertClean(w);
    assert.deepEqual(canaryHits, [], "a payload reached the network");
  });

  it("keyboard: the skip link moves focus to the content; the search runs from the keyboard; folds open with Enter", async () => {
    const w = await open(sectionOf("samples"));
    const { page } = w;
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate("document.activeElement?.textContent"), "Skip to content");
    await page.keyboard.press("Enter");
    assert.equal(await page.evaluate("document.activeElement?.id"), "main");
    await page.focus("#q");
    await page.keyboard.type("sample");
    await page.keyboard.press("Enter");
    await page.locator("#status", { hasText: "records searched" }).waitFor();
    assert.ok((await page.locator("#results tbody tr").count()) > 0);
    const trajectory = readJsonl<Trajectory>(files.trajectories).find((t) => t.messages.some((m) => m.role === "tool"))!;
    const t = await open(recordPath("trajectory", trajectory.id));
    await t.page.focus("details.result > summary");
    await t.page.keyboard.press("Enter");
    assert.equal(await t.page.locator("details.result[open]").count(), 1);
    await assertClean(w);
    await assertClean(t);
  });

  /** The section page of the file whose slug ends with `name`. */
  function sectionOf(name: string): string {
    const slug = readdirSync(join(site, "site")).find((s) => s.endsWith(name) && !s.includes("hostile") === !name.includes("hostile"));
    assert.ok(slug, `a section for ${name}`);
    return join("site", slug, "index.html");
  }

  /** A record's page: its id's key (the first record of an id gets it). */
  function recordPath(kind: PageKind, id: string): string {
    return join("site", "records", kind, `${pageKey(id)}.html`);
  }
});

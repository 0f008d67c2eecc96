import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { AccError } from "../../src/errors/acc-error.js";
import { describeSystemError } from "../../src/errors/system-error.js";
import { AtomicFile, writeFileAtomic } from "../../src/io/atomic.js";
import { removeLeftoversSync, withCleanup } from "../../src/io/cleanup.js";
import { makeDirectory } from "../../src/io/directory.js";
import { tempDir } from "../helpers/collect.js";

/** The one-line message the CLI would print for this error. */
async function failure(work: Promise<unknown>): Promise<string> {
  const error = await work.then(
    () => assert.fail("expected a failure"),
    (e: unknown) => e,
  );
  return AccError.isInstance(error) ? error.message : (describeSystemError(error)?.message ?? String(error));
}

test("makeDirectory fails fast where Node's recursive mkdir spins (/proc) or a parent is a file", async () => {
  const started = Date.now();
  assert.equal(await failure(makeDirectory("/proc/acc-out/x")), "cannot create the folder /proc/acc-out/x: /proc does not take new folders (a special file system such as /proc?)");
  const dir = tempDir();
  const file = join(dir, "file");
  writeFileSync(file, "");
  assert.equal(await failure(makeDirectory(join(file, "sub", "x"))), `cannot create the folder ${file}/sub/x: ${file} is not a folder`);
  assert.equal(await failure(makeDirectory("/dev/null/x")), "cannot create the folder /dev/null/x: /dev/null is not a folder");
  assert.equal(await failure(AtomicFile.create("/dev/null/x.jsonl")), "cannot write /dev/null/x.jsonl: /dev/null is not a folder");
  assert.ok(Date.now() - started < 2000);
  await makeDirectory(join(dir, "a", "b"));
  await makeDirectory(join(dir, "a", "b"));
  assert.ok(existsSync(join(dir, "a", "b")));
});

test("AtomicFile and writeFileAtomic name the path the user gave, never their temporary name", async () => {
  const dir = tempDir();
  assert.equal(await failure(AtomicFile.create("/proc/x.jsonl")), "cannot write /proc/x.jsonl: /proc does not take new files (a special file system such as /proc?)");
  assert.equal(await failure(AtomicFile.create(dir)), `cannot write ${dir}: it is a folder`);
  assert.equal(await failure(writeFileAtomic("/proc/x.json", "{}")), "cannot write /proc/x.json: /proc does not take new files (a special file system such as /proc?)");
  const devNull = await AtomicFile.create("/dev/null");
  await devNull.write("ignored\n");
  await devNull.commit();
  assert.ok(existsSync("/dev/null"));
});

test("withCleanup removes temporary files on every path, and the folders it made when the work fails", async () => {
  const dir = tempDir();
  const out = join(dir, "new", "deeper");
  await assert.rejects(
    withCleanup(async () => {
      const file = await AtomicFile.create(join(out, "samples.jsonl"));
      await file.write("half a record");
      throw new Error("stopped half-way");
    }),
    /stopped half-way/,
  );
  assert.deepEqual(readdirSync(dir), [], "no temp file, and the folders made for the output are gone");
  await withCleanup(async () => {
    const file = await AtomicFile.create(join(out, "samples.jsonl"));
    await file.write("{}\n");
    await file.commit();
    await AtomicFile.create(join(out, "forgotten.jsonl")); // never committed: a bug, still no leftover
  });
  assert.deepEqual(readdirSync(out), ["samples.jsonl"]);
});

test("removeLeftoversSync (the signal handler's job) removes open temporary files at once", async () => {
  const dir = tempDir();
  const file = await AtomicFile.create(join(dir, "x.jsonl"));
  await file.write("partial");
  assert.equal(readdirSync(dir).length, 1);
  removeLeftoversSync();
  assert.deepEqual(readdirSync(dir), []);
  await file.abort();
});

test("withCleanup: scopes running at once keep their own files, the first (which runs without AsyncLocalStorage) and those started while it runs", async () => {
  const dir = tempDir();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let firstOpened!: () => void;
  const firstOpen = new Promise<void>((resolve) => (firstOpened = resolve));
  // the first scope: its temporary file is still open when the second one fails, and survives that
  const first = withCleanup(async () => {
    const file = await AtomicFile.create(join(dir, "first", "a.jsonl"));
    await file.write("first\n");
    firstOpened();
    await gate;
    assert.ok(readdirSync(join(dir, "first")).length === 1, "the second scope's failure left the first's temporary file alone");
    await file.write("more\n");
    await file.commit();
  });
  // the second, started while the first runs: it fails, and only its own file and folder go
  await assert.rejects(
    withCleanup(async () => {
      const file = await AtomicFile.create(join(dir, "second", "b.jsonl"));
      await file.write("second\n");
      await firstOpen;
      throw new Error("second stops");
    }),
    /second stops/,
  );
  assert.deepEqual(readdirSync(dir), ["first"], "the second scope's folder is gone, the first's is not");
  release();
  await first;
  assert.deepEqual(readFileSync(join(dir, "first", "a.jsonl"), "utf8"), "first\nmore\n");
  // and the other way round: the first fails while a later one runs; each removes only its own
  let releaseLater!: () => void;
  const later = new Promise<void>((resolve) => (releaseLater = resolve));
  const failing = withCleanup(async () => {
    const file = await AtomicFile.create(join(dir, "third", "c.jsonl"));
    await file.write("third\n");
    await later;
    throw new Error("first stops");
  });
  const surviving = withCleanup(async () => {
    const file = await AtomicFile.create(join(dir, "fourth", "d.jsonl"));
    await file.write("fourth\n");
    releaseLater();
    await assert.rejects(failing, /first stops/);
    await file.commit();
  });
  await surviving;
  assert.deepEqual(readdirSync(dir).sort(), ["first", "fourth"]);
  assert.deepEqual(readdirSync(join(dir, "fourth")), ["d.jsonl"]);
});

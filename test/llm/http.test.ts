import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { Pool } from "undici";
import { postText } from "../../src/llm/http.js";

/** A server that answers every POST with `pieces`, written one by one, after `delayMs`. */
async function server(pieces: Buffer[], delayMs = 0): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      setTimeout(async () => {
        res.writeHead(200, { "Content-Type": "application/json", "Retry-After": "7" });
        for (const piece of pieces) {
          res.write(piece);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        res.end();
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const post = (pool: Pool, signal?: AbortSignal) => postText(pool, { path: "/", headers: { "content-type": "application/json" }, body: "{}", signal, timeoutMs: 5000 });

test("postText: a body whose characters are split across network chunks reads whole; headers by lower-case name", async () => {
  const text = '{"content":"naïve – 北京 😀"}';
  const bytes = Buffer.from(text);
  // cut inside every multi-byte character
  const cuts = [14, 23, 26, 30, bytes.length - 3];
  const pieces = cuts.map((cut, i) => bytes.subarray(i === 0 ? 0 : cuts[i - 1], cut));
  pieces.push(bytes.subarray(cuts.at(-1)));
  const { server: s, origin } = await server(pieces);
  const pool = new Pool(origin);
  try {
    const response = await post(pool);
    assert.equal(response.statusCode, 200);
    assert.equal(response.text, text);
    assert.equal(response.header("retry-after"), "7");
    assert.equal(response.header("content-type"), "application/json");
    assert.equal(response.header("x-missing"), undefined);
  } finally {
    await pool.close();
    s.close();
  }
});

test("postText: one signal aborts every request waiting on it through a single listener; finished requests leave nothing behind", async () => {
  const { server: s, origin } = await server([Buffer.from("{}")], 300);
  const pool = new Pool(origin, { connections: 8 });
  const controller = new AbortController();
  try {
    const done = await post(pool, controller.signal);
    assert.equal(done.text, "{}");
    const waiting = Array.from({ length: 6 }, () => post(pool, controller.signal));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(getEventListeners(controller.signal, "abort").length, 1);
    controller.abort(new Error("stop"));
    for (const request of waiting) await assert.rejects(request, /stop/);
    // an already aborted signal refuses at once
    await assert.rejects(post(pool, controller.signal), /stop/);
  } finally {
    await pool.close();
    s.closeAllConnections();
    s.close();
  }
});

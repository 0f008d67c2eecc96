import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { Pool } from "undici";
import { createClient, type LlmError } from "../../src/llm/index.js";
import { type PostOptions, TextExchange, type TextResponse } from "../../src/llm/http.js";

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

/** The exchange as a promise of its response (the client's Call settles its own). */
class PromisedText extends TextExchange {
  constructor(
    private readonly resolve: (response: TextResponse) => void,
    private readonly reject: (error: Error) => void,
  ) {
    super();
  }

  protected answered(): void {
    this.resolve(this);
  }

  protected failed(error: Error): void {
    this.reject(error);
  }
}

const postText = (pool: Pool, options: PostOptions) => new Promise<TextResponse>((resolve, reject) => new PromisedText(resolve, reject).send(pool, options));

const post = (pool: Pool, signal?: AbortSignal) => postText(pool, { path: "/", headers: { "content-type": "application/json" }, body: Buffer.from("{}"), signal, timeoutMs: 5000, maxBytes: 1024 * 1024 });

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

const MAX_BYTES = 4 * 1024 * 1024;

/** A server that answers every POST with `status` and an endless body, counting the bytes it wrote. */
async function endless(status: number, stream: boolean): Promise<{ server: Server; origin: string; written: () => number }> {
  let written = 0;
  const chunk = Buffer.from((stream ? 'data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n\n' : "x").repeat(1024));
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(status, { "Content-Type": stream ? "text/event-stream" : "application/json" });
    const pump = () => {
      while (!res.destroyed && written < 64 * MAX_BYTES) {
        written += chunk.length;
        if (!res.write(chunk)) return res.once("drain", pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, written: () => written };
}

// A hostile or broken server must not make acc hold an answer without bound, streamed or not.
for (const [name, status, stream] of [["an answer", 200, false], ["an error answer", 500, false], ["a stream", 200, true], ["a stream's error answer", 500, true]] as const) {
  test(`an endless ${name} is cut at maxResponseBytes as malformed; the server stops being read`, async () => {
    const { server: s, origin, written } = await endless(status, stream);
    const client = createClient({ endpoint: origin, maxRetries: 0, circuitBreaker: false, stream, timeoutMs: 10_000, maxResponseBytes: MAX_BYTES });
    try {
      const error = await client.chat({ model: "m", messages: [{ role: "user", content: "hi" }] }).then(() => undefined, (caught: LlmError) => caught);
      assert.equal(error?.code, "malformed");
      assert.match(error.message, new RegExp(`passed ${MAX_BYTES} bytes`));
      assert.ok(written() < 16 * MAX_BYTES, `the server wrote ${written()} bytes before acc stopped reading`);
    } finally {
      await client.close();
      s.close();
      s.closeAllConnections();
    }
  });
}

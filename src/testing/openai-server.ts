import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import { type Answer, type CompletionRequestBody, completionBody, completionChunks, echoAnswer, type RawReply, type Reply } from "./replies.js";

export type { Answer, AnswerToolCall, Reply } from "./replies.js";

export interface RecordedRequest {
  /** 0-based arrival order of chat-completion requests (the index passed to the script). */
  index: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
}

/** Decides the reply to the index-th chat-completion request. */
export type ServerScript = (request: RecordedRequest, index: number) => Reply | Promise<Reply>;

export interface ServerOptions {
  /** Keep every request in `requests` (default true; benches turn it off). */
  record?: boolean;
}

export interface OpenAIServer {
  /** Base URL ending in /v1. */
  url: string;
  requests: RecordedRequest[];
  /** Chat-completion requests being answered right now, and the most ever at once. */
  inFlight(): { now: number; max: number };
  setScript(script: ServerScript): void;
  close(): Promise<void>;
}

const defaultScript: ServerScript = (request) => echoAnswer(request.body as CompletionRequestBody);

/**
 * An in-process OpenAI-compatible chat-completions server on 127.0.0.1 (random port) for tests and benches.
 * It speaks the real wire protocol (JSON and SSE streaming, usage, reasoning fields, tool calls, token ids)
 * and does whatever the script says per request: answer, delay, fail with a status, hang, truncate,
 * send a malformed body, or reset the connection.
 */
export async function startOpenAIServer(script: ServerScript = defaultScript, options: ServerOptions = {}): Promise<OpenAIServer> {
  const record = options.record ?? true;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let current = script;
  let count = 0;
  let now = 0;
  let max = 0;
  let closed = false;

  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(error), type: "server_error" } });
      else res.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const path = (req.url ?? "/").split("?")[0]!;
    if (req.method === "GET" && path === "/v1/models") {
      sendJson(res, 200, { object: "list", data: [{ id: "test-model", object: "model", created: 0, owned_by: "acc-test" }] });
      return;
    }
    if (req.method !== "POST" || path !== "/v1/chat/completions") {
      sendJson(res, 404, { error: { message: `no route ${req.method} ${path}`, type: "invalid_request_error" } });
      return;
    }
    const index = count++;
    const request: RecordedRequest = { index, method: req.method, path, headers: req.headers, body: parseJson(text) };
    if (record) requests.push(request);
    now++;
    max = Math.max(max, now);
    res.on("close", () => now--);
    await respond(req, res, request, await current(request, index));
  }

  async function respond(req: IncomingMessage, res: ServerResponse, request: RecordedRequest, reply: Reply): Promise<void> {
    const body = (typeof request.body === "object" && request.body !== null ? request.body : {}) as CompletionRequestBody;
    const id = `chatcmpl-${request.index}`;
    switch (reply.type) {
      case "hang":
        return;
      case "reset":
        req.socket.resetAndDestroy();
        return;
      case "malformed":
        sendText(res, 200, reply.body === "invalid-json" ? '{"id": "x", "choices": [{"index": 0, "mess' : JSON.stringify({ id, object: "chat.completion" }));
        return;
      case "error": {
        if (reply.delayMs) await sleep(reply.delayMs);
        const headers: Record<string, string> = reply.retryAfter === undefined ? {} : { "retry-after": reply.retryAfter };
        const message = reply.message ?? `scripted error ${reply.status}`;
        sendJson(res, reply.status, { error: { message, type: errorType(reply.status), code: reply.status } }, headers);
        return;
      }
      case "truncate":
        truncate(res, { type: "answer", ...reply.answer }, body, id, reply.chunks ?? 2, reply.after ?? "drop");
        return;
      case "raw":
        await writeRaw(res, reply);
        return;
      case "answer":
        if (reply.delayMs) await sleep(reply.delayMs);
        if (closed || res.destroyed) return;
        if (body.stream) await stream(res, reply, body, id);
        else sendJson(res, 200, completionBody(reply, body, id, created()));
        return;
    }
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    inFlight: () => ({ now, max }),
    setScript(next) {
      current = next;
    },
    async close() {
      closed = true;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const created = () => Math.floor(Date.now() / 1000);

function errorType(status: number): string {
  if (status === 429) return "rate_limit_error";
  return status >= 500 ? "server_error" : "invalid_request_error";
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString("utf8");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  sendText(res, status, JSON.stringify(value), headers);
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  // Object.assign, not a spread: this is the benches' hot path, and on Node 20 a spread plus fields is slow
  res.writeHead(status, Object.assign({ "content-type": "application/json", "content-length": Buffer.byteLength(text) }, headers));
  res.end(text);
}

const sse = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;

async function stream(res: ServerResponse, answer: Answer, body: CompletionRequestBody, id: string): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const events = completionChunks(answer, body, id, created()).map(sse);
  events.push("data: [DONE]\n\n");
  res.end(events.join(""));
}

/** Sends the first `chunks` SSE events (streaming) or half the JSON body, then drops the connection, ends the response or hangs. */
function truncate(res: ServerResponse, answer: Answer, body: CompletionRequestBody, id: string, chunks: number, after: "drop" | "end" | "hang"): void {
  if (body.stream) {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(completionChunks(answer, body, id, created()).slice(0, chunks).map(sse).join(""));
  } else {
    const text = JSON.stringify(completionBody(answer, body, id, created()));
    // a declared length the body never reaches makes the client see the cut even when the socket stays open
    res.writeHead(200, after === "end" ? { "content-type": "application/json" } : { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.write(text.slice(0, Math.floor(text.length / 2)));
  }
  if (after === "end") res.end();
  if (after !== "drop") return;
  // let the partial body reach the client before the connection goes away
  setImmediate(() => res.socket?.destroy());
}

/** Writes a recorded body in the pieces its cuts make, letting each leave before the next is written. */
async function writeRaw(res: ServerResponse, reply: RawReply): Promise<void> {
  const bytes = typeof reply.body === "string" ? Buffer.from(reply.body, "utf8") : Buffer.from(reply.body);
  const cuts = reply.cuts === "bytes" ? Array.from({ length: bytes.length }, (_, i) => i) : (reply.cuts ?? []);
  const bounds = [...new Set([0, ...cuts.filter((c) => c > 0 && c < bytes.length), bytes.length])].sort((a, b) => a - b);
  res.writeHead(reply.status ?? 200, { "content-type": reply.contentType ?? "application/json", "cache-control": "no-cache" });
  for (let i = 0; i + 1 < bounds.length; i++) {
    if (res.destroyed) return;
    res.write(bytes.subarray(bounds[i], bounds[i + 1]));
    await nextTurn();
  }
  res.end();
}

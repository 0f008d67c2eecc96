import { AccError } from "../errors/acc-error.js";
import { ResponseTooLarge } from "./http.js";
import { isLandmark, type ParsedChoice, ResponseShapeError, StreamAccumulator } from "./response.js";
import { isContextLengthError } from "./server-errors.js";
import { SseParser } from "./sse.js";

/** Why a stream could not be read: a garbled or cut stream, or an error event refusing the prompt as too long. */
export class StreamError extends AccError {
  constructor(
    readonly kind: "malformed" | "context-length",
    detail: string,
  ) {
    super(detail, { code: kind });
  }
}

export interface StreamAnswer {
  parsed: ParsedChoice;
  /** The number of events and the chunks that carry more than deltas (the first, finish reasons, usage). */
  raw: { events: number; chunks: unknown[] };
}

/**
 * Reads a chat-completion SSE body however the network cut it. Bytes go through one streaming UTF-8
 * decoder, so a character split between two chunks stays whole (decoding each chunk on its own turns
 * both halves into U+FFFD). A stream that ends before `[DONE]` and before a finish reason is an error,
 * and so is one that passes `maxBytes`.
 */
export async function readChatStream(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<StreamAnswer> {
  const decoder = new TextDecoder("utf-8");
  const parser = new SseParser();
  const accumulator = new StreamAccumulator();
  const kept: unknown[] = [];
  let events = 0;
  let done = false;
  const take = (payloads: string[]) => {
    for (const payload of payloads) {
      if (payload === "[DONE]") {
        done = true;
        continue;
      }
      let chunk: unknown;
      try {
        chunk = JSON.parse(payload);
      } catch {
        throw new StreamError("malformed", `invalid JSON in stream event ${events + 1}: ${JSON.stringify(payload.slice(0, 80))}`);
      }
      try {
        accumulator.add(chunk);
      } catch (error) {
        if (!(error instanceof ResponseShapeError)) throw error;
        throw new StreamError(isContextLengthError(undefined, payload) ? "context-length" : "malformed", `stream event ${events + 1}: ${error.message}`);
      }
      if (events++ === 0 || isLandmark(chunk)) kept.push(chunk);
    }
  };
  let size = 0;
  for await (const bytes of body) {
    if ((size += bytes.length) > maxBytes) throw new StreamError("malformed", new ResponseTooLarge(maxBytes).message);
    take(parser.feed(decoder.decode(bytes, { stream: true })));
  }
  take(parser.feed(decoder.decode()));
  take(parser.end());
  if (!done && !accumulator.finished) throw new StreamError("malformed", `stream ended after ${events} events without a finish reason or [DONE]`);
  return { parsed: accumulator.result(), raw: { events, chunks: kept } };
}

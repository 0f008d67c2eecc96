import assert from "node:assert/strict";
import { test } from "node:test";
import { SseParser } from "../../src/llm/sse.js";

const stream = 'data: {"a":1}\n\n: keep-alive comment\n\nevent: message\ndata: {"b":\ndata: 2}\nid: 7\n\r\ndata:[DONE]\n\n';
const expected = ['{"a":1}', '{"b":\n2}', "[DONE]"];

test("SSE: data payloads come out whole however the text is split (every split point, CRLF, comments, multi-line data)", () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const parser = new SseParser();
    const events = [...parser.feed(stream.slice(0, cut)), ...parser.feed(stream.slice(cut)), ...parser.end()];
    assert.deepEqual(events, expected, `split at ${cut}`);
  }
  const parser = new SseParser();
  const oneByOne = [...stream].flatMap((ch) => parser.feed(ch));
  assert.deepEqual([...oneByOne, ...parser.end()], expected);
});

test("SSE: an event left open when the stream ends is still delivered by end()", () => {
  const parser = new SseParser();
  assert.deepEqual(parser.feed('data: {"x":1}\n\ndata: {"y"'), ['{"x":1}']);
  assert.deepEqual(parser.end(), ['{"y"']);
  assert.deepEqual(parser.end(), []);
});

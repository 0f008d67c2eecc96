// npm run bench:baseline [-- --requests 8000]
// Which raw client the endpoint benchmarks (eval, teach, rollout) compare acc with: every way of sending
// the same pre-built bodies to the same in-process server at 256 in flight, warm, a warm-up round then 5
// interleaved rounds (medians). The baseline (bench/common.ts rawLoad) is the one that costs the least
// per request among those that keep 256 requests independent. Pipelined connections are measured
// for reference only: a real server answers a connection's requests in order, so 16 pipelined requests
// would wait for each other's generations.
import { Agent, request as httpRequest } from "node:http";
import { Agent as UndiciAgent, fetch as undiciFetch, Pool } from "undici";
import { build, comparisonLine, fromDist, interleavedRounds, rawLoad } from "./common.js";

build();
const { startOpenAIServer } = await fromDist<typeof import("../src/testing/openai-server.js")>("testing/openai-server.js");
const { generateGraphwalks } = await fromDist<typeof import("../src/evals/generate-graphwalks.js")>("evals/generate-graphwalks.js");
const { graphwalksEval } = await fromDist<typeof import("../src/evals/graphwalks.js")>("evals/graphwalks.js");

const IN_FLIGHT = 256;
const requestsArg = process.argv.indexOf("--requests");
const REQUESTS = requestsArg > 0 ? Number(process.argv[requestsArg + 1]) : 8000;
const ROUNDS = 5;

const kind = graphwalksEval();
const bodies = [...generateGraphwalks({ seed: "bench", promptChars: [1700], perSize: Math.ceil(REQUESTS / 2) })]
  .slice(0, REQUESTS)
  .map((item) => JSON.stringify({ model: "bench", messages: kind.messages(item), stream: false }));
const server = await startOpenAIServer(() => ({ type: "answer", content: "Final Answer: [cfcd208495]" }), { record: false });
const target = new URL(`${server.url}/chat/completions`);
const headers = { "content-type": "application/json" };

/** Requests/s of `post` over every body, IN_FLIGHT at a time. */
async function drive(post: (body: string) => Promise<void>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < bodies.length) await post(bodies[next++]!);
    }),
  );
  return bodies.length / ((performance.now() - start) / 1000);
}

function expectOk(status: number): void {
  if (status !== 200) throw new Error(`HTTP ${status}`);
}

async function nodeHttp(): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const rate = await drive(
    (body) =>
      new Promise((resolve, reject) => {
        const req = httpRequest(
          { host: target.hostname, port: target.port, path: target.pathname, method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } },
          (res) => {
            expectOk(res.statusCode ?? 0);
            res.resume();
            res.on("end", resolve);
            res.on("error", reject);
          },
        );
        req.on("error", reject);
        req.end(body);
      }),
  );
  agent.destroy();
  return rate;
}

async function fetchText(): Promise<number> {
  const dispatcher = new UndiciAgent({ connections: IN_FLIGHT });
  const rate = await drive(async (body) => {
    const response = await undiciFetch(target, { method: "POST", headers, body, dispatcher });
    expectOk(response.status);
    await response.arrayBuffer();
  });
  await dispatcher.close();
  return rate;
}

/** Pool.request, the body dumped; `depth` > 1 pipelines that many requests on each connection. */
async function poolRequest(depth = 1): Promise<number> {
  const pool = new Pool(target.origin, depth === 1 ? { connections: IN_FLIGHT } : { connections: IN_FLIGHT / depth, pipelining: depth });
  const rate = await drive(async (body) => {
    const response = await pool.request({ method: "POST", path: target.pathname, headers, body });
    expectOk(response.statusCode);
    await response.body.dump();
  });
  await pool.close();
  return rate;
}

const units = bodies.length;
try {
  const results = await interleavedRounds(
    {
      "undici Pool.dispatch": async () => ({ rate: await rawLoad(server.url, bodies, IN_FLIGHT), units }),
      "undici Pool.request": async () => ({ rate: await poolRequest(), units }),
      "undici fetch": async () => ({ rate: await fetchText(), units }),
      "node:http keep-alive": async () => ({ rate: await nodeHttp(), units }),
      "Pool.request, pipelining 4": async () => ({ rate: await poolRequest(4), units }),
      "Pool.request, pipelining 16": async () => ({ rate: await poolRequest(16), units }),
    },
    ROUNDS,
  );
  const baseline = results["undici Pool.dispatch"];
  console.log(`${REQUESTS} requests (GraphWalks prompts of ~1.7k chars), ${IN_FLIGHT} in flight, the in-process server, ${ROUNDS} interleaved rounds (medians; ratios against Pool.dispatch, the benches' baseline):`);
  for (const [name, rounds] of Object.entries(results)) console.log(comparisonLine(name, "req", rounds, baseline));
  console.log("  (pipelined rows for reference only: a real server answers a connection's requests in order)");
} finally {
  await server.close();
}

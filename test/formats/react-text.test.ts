import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseReAct } from "../../src/formats/react-text/parse.js";
import type { Message } from "../../src/records/trajectory.js";
import { importAll, tempDir } from "../helpers/collect.js";

async function importRows(rows: unknown[]) {
  const file = join(tempDir(), "react.jsonl");
  writeFileSync(file, rows.map((row) => JSON.stringify(row)).join("\n") + "\n");
  return importAll([file]);
}

const calls = (messages: Message[]) => messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : []));

const DB_PROTOCOL =
  "I will ask you a question, then you should help me operate a MySQL database with SQL to answer the question.\n" +
  "You have to explain the problem and your solution to me and write down your thoughts.\n" +
  "After thinking and explaining thoroughly, every round you can choose to operate or to answer.\n" +
  "your operation should be like this:\nAction: Operation\n```sql\nSELECT * FROM table WHERE condition;\n```\n" +
  "If you have obtain the answer by interacting with the database, you should commit your final answer:\n" +
  'Action: Answer\nFinal Answer: ["ANSWER1", "ANSWER2", ...]';
const SQL = "SELECT `games` FROM `nba_teams` ORDER BY `wins` DESC LIMIT 1;";

const AGENTINSTRUCT_DB = {
  id: "db_12",
  conversations: [
    { from: "human", loss: null, value: DB_PROTOCOL },
    { from: "gpt", loss: false, value: "Ok." },
    { from: "human", loss: null, value: "How many games did the team with the most wins play?\nThe name of this table is nba_teams, and the headers of this table are team,wins,games." },
    { from: "gpt", loss: true, value: `To find the team with the most wins, I sort by wins and take the first row.\nAction: Operation\n\`\`\`sql\n${SQL}\n\`\`\`` },
    { from: "human", loss: null, value: "[(82,)]" },
    { from: "gpt", loss: true, value: 'The team with the most wins played 82 games.\nAction: Answer\nFinal Answer: ["82"]' },
  ],
};

const TOOLLLAMA = {
  id: "Step 2: I'm planning a trip to Paris. What's the weather there today?",
  conversations: [
    { from: "system", value: "You are AutoGPT, you can use many tools(functions) to do the following task.\nSpecifically, you have access to the following APIs: [...]" },
    { from: "user", value: "\nI'm planning a trip to Paris. What's the weather there today?\nBegin!\n" },
    { from: "assistant", value: '\nThought: I need the current weather in Paris.\nAction: current_weather_for_weatherapi\nAction Input: {\n  "q": "Paris"\n}' },
    { from: "function", value: '{"error": "", "response": "{\'temp_c\': 18, \'condition\': \'Sunny\'}"}' },
    {
      from: "assistant",
      value: '\nThought: I have the weather now.\nAction: Finish\nAction Input: {\n  "return_type": "give_answer",\n  "final_answer": "It is 18°C and sunny in Paris."\n}',
    },
  ],
};

test("react-text: an AgentInstruct DB row: Action: Operation + sql fence is a text call with the exact SQL, the next human turn its result", async () => {
  const { trajectories, rejects } = await importRows([AGENTINSTRUCT_DB]);
  assert.equal(rejects.length, 0);
  const t = trajectories[0]!;
  assert.equal(t.source.format, "react-text");
  assert.deepEqual(t.messages.map((m) => m.role), ["user", "assistant", "user", "assistant", "tool", "assistant"]);
  const [call] = calls(t.messages);
  assert.deepEqual([call!.name, call!.type, call!.raw_arguments, call!.arguments], ["Operation", "text", SQL, null]);
  const operation = t.messages[3]!;
  assert.ok(operation.role === "assistant");
  assert.deepEqual([operation.content, operation.reasoning], [null, "To find the team with the most wins, I sort by wins and take the first row."]);
  const result = t.messages[4]!;
  assert.ok(result.role === "tool" && result.source_role === "human" && result.content === "[(82,)]" && result.call_id === call!.id);
  assert.deepEqual(result.extra, { loss: null });
  assert.deepEqual(t.final, { answer: '["82"]', reasoning: "The team with the most wins played 82 games.", kind: "message" });
  // the "Ok." handshake: the protocol is the system prompt, the next human turn the question
  assert.equal(t.task.system_prompt, DB_PROTOCOL);
  assert.equal(t.task.question_origin, "extracted_from_template");
  assert.match(t.task.question ?? "", /^How many games/);
  assert.equal(t.domain, "sql");
  assert.deepEqual(t.extra, { id: "db_12" });
});

test("react-text: a ToolLLaMA row: Action Input kept verbatim and parsed, function turn is the result, Finish is the final answer", async () => {
  const { trajectories, rejects } = await importRows([TOOLLLAMA]);
  assert.equal(rejects.length, 0);
  const t = trajectories[0]!;
  assert.deepEqual(t.messages.map((m) => m.role), ["system", "user", "assistant", "tool", "assistant"]);
  const [call] = calls(t.messages);
  assert.deepEqual([call!.name, call!.raw_arguments, call!.arguments], ["current_weather_for_weatherapi", '{\n  "q": "Paris"\n}', { q: "Paris" }]);
  assert.equal(t.messages[2]!.role === "assistant" && t.messages[2]!.reasoning, "I need the current weather in Paris.");
  const result = t.messages[3]!;
  assert.ok(result.role === "tool" && result.source_role === "function" && result.name === "current_weather_for_weatherapi" && result.pairing === "position");
  assert.deepEqual(t.final, { answer: "It is 18°C and sunny in Paris.", reasoning: "I have the weather now.", kind: "message" });
  assert.deepEqual(t.messages[4]!.extra, { return_type: "give_answer" });
  assert.equal(t.task.question, TOOLLLAMA.conversations[1]!.value);
});

test("react-text: Agent-FLAN conversation rows, AgentInstruct OS (Act: bash), broken JSON input and give-up Finish", async () => {
  const { trajectories, rejects } = await importRows([
    {
      id: "os_3",
      conversation: [
        { role: "user", content: "How many files are in /etc?", loss: false },
        { role: "assistant", content: "Think: I count the entries.\n\nAct: bash\n\n```bash\nls -1 /etc | wc -l\n```", loss: true },
        { role: "user", content: "The output of the OS:\n\n220", loss: false },
        { role: "assistant", content: "Think: The count is 220.\n\nAct: answer(220)", loss: true },
      ],
    },
    {
      conversation: [
        { role: "system", content: "Use the tools." },
        { role: "user", content: "Find flights" },
        { role: "assistant", content: 'Thought: search flights\nAction: search_flights\nAction Input: {"from": "BER", ' },
        { role: "user", content: "Observation: error: bad input" },
        { role: "assistant", content: 'Thought: I give up.\nAction: Finish\nAction Input: {"return_type": "give_up_and_restart"}' },
      ],
    },
  ]);
  assert.equal(rejects.length, 0);
  const [os, flan] = trajectories;
  assert.deepEqual(calls(os!.messages).map((c) => [c.name, c.raw_arguments]), [["bash", "ls -1 /etc | wc -l"]]);
  assert.ok(os!.messages[2]!.role === "tool" && os!.messages[2]!.source_role === "user");
  assert.deepEqual([os!.final.answer, os!.final.reasoning], ["220", "The count is 220."]);
  assert.equal(os!.domain, "swe");
  const [broken] = calls(flan!.messages);
  assert.deepEqual([broken!.raw_arguments, broken!.arguments], ['{"from": "BER",', null]);
  assert.match(broken!.arguments_error ?? "", /JSON/);
  assert.deepEqual([flan!.final.answer, flan!.final.reasoning], [null, "I give up."]);
  assert.deepEqual(flan!.messages[4]!.extra, { return_type: "give_up_and_restart" });
});

test("react-text parser: WebShop, KG call syntax, LangChain Final Answer, trailing observation, plain text", () => {
  assert.deepEqual(parseReAct("Thought: look for shoes\n\nAction:\nsearch[red running shoes]"), {
    kind: "action",
    thought: "look for shoes",
    name: "search",
    input: "red running shoes",
    trailing: null,
  });
  assert.deepEqual(parseReAct("Thought: relations first.\nAction: get_relations(Barack Obama)"), {
    kind: "action",
    thought: "relations first.",
    name: "get_relations",
    input: "Barack Obama",
    trailing: null,
  });
  assert.deepEqual(parseReAct("Thought: I know it.\nFinal Answer: #3"), { kind: "answer", thought: "I know it.", answer: "#3" });
  assert.deepEqual(parseReAct("Action: lookup\nAction Input: cats\nObservation: (imagined)"), {
    kind: "action",
    thought: null,
    name: "lookup",
    input: "cats",
    trailing: null,
  });
  assert.deepEqual(parseReAct("Sure, here is a poem about actions."), { kind: "text" });
});

test("react-text detection: only rows with ReAct markers; glaive-style and plain rows stay sharegpt, ReAct messages beat openai-chat", async () => {
  const dir = tempDir();
  const write = (name: string, row: unknown) => writeFileSync(join(dir, name), `${JSON.stringify(row)}\n`);
  write("db.jsonl", AGENTINSTRUCT_DB);
  write("plain.jsonl", { conversations: [{ from: "human", value: "Action: is a word" }, { from: "gpt", value: "Indeed." }] });
  write("messages.jsonl", { messages: TOOLLLAMA.conversations.map((t) => ({ role: t.from === "function" ? "tool" : t.from, content: t.value })) });
  const { trajectories } = await importAll([dir]);
  assert.deepEqual(
    trajectories.map((t) => [t.source.file.slice(dir.length + 1), t.source.format]),
    [
      ["db.jsonl", "react-text"],
      ["messages.jsonl", "react-text"],
      ["plain.jsonl", "sharegpt"],
    ],
  );
});

test("react-text bad input: wrong types and unknown speakers are rejected with the path", async () => {
  const { trajectories, rejects } = await importRows([
    TOOLLLAMA,
    { conversations: [{ from: "user", value: "q" }, { from: "assistant", value: 7 }] },
    { conversations: [{ from: "user", value: "q" }, { from: "narrator", value: "and then" }] },
    { conversations: [{ from: "user", value: "q" }, "Action: x"] },
    { dialog: [] },
  ]);
  assert.equal(trajectories.length, 1);
  assert.deepEqual(rejects.map((r) => r.locator.line), [2, 3, 4, 5]);
  const reasons = rejects.map((r) => r.reason);
  assert.match(reasons[0]!, /^conversations\[1\]\.value: expected a string, got a number/);
  assert.match(reasons[1]!, /^conversations\[1\]: expected a speaker of .*got "narrator"/);
  assert.match(reasons[2]!, /^conversations\[1\]: expected a turn object, got a string/);
  assert.match(reasons[3]!, /^expected a "conversations", "conversation" or "messages" array, got keys dialog/);
});

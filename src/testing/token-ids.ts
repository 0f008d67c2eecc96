import type { ChatTemplateOptions, TemplateMessage, Tokenizer } from "../tokenize/types.js";
import type { Answer } from "./replies.js";
import { TokenizerError } from "../tokenize/errors.js";

interface ChatBody {
  messages?: TemplateMessage[];
  tools?: unknown[];
  chat_template_kwargs?: { enable_thinking?: boolean };
  return_token_ids?: boolean;
}

/**
 * Makes answers look like vLLM's with `return_token_ids`: `prompt_token_ids` are the request's messages
 * rendered whole by the chat template (with its tools and `enable_thinking`) and tokenized;
 * `completion_token_ids` are the answer's turn as the template writes it in history, through the
 * end-of-turn token, as a model that follows its template samples it; one logprob per completion token
 * (a fixed function of the id); usage counts both. Requests without `return_token_ids` get only the usage.
 */
export function withTokenIds(tokenizer: Tokenizer): (body: unknown, answer: Answer) => Answer {
  const eos = tokenizer.specialTokens.eos;
  if (!eos) throw new TokenizerError(`tokenizer ${tokenizer.name} has no end-of-sequence token`, { code: "tokenizer" });
  return (raw, answer) => {
    const body = raw as ChatBody;
    const messages = body.messages ?? [];
    const options: ChatTemplateOptions = {};
    if (body.tools?.length) options.tools = body.tools;
    const thinking = body.chat_template_kwargs?.enable_thinking;
    if (thinking !== undefined) options.enableThinking = thinking;
    const prompt = tokenizer.applyChatTemplate(messages, { ...options, addGenerationPrompt: true });
    const turn: TemplateMessage = { role: "assistant", content: answer.content ?? "" };
    if (answer.tool_calls?.length) {
      turn.tool_calls = answer.tool_calls.map((call, i) => ({ id: call.id ?? `call_${i}`, type: "function", function: { name: call.name, arguments: call.arguments } }));
    }
    if (answer.reasoning) turn.reasoning_content = answer.reasoning;
    const history = tokenizer.applyChatTemplate([...messages, turn, { role: "tool", content: "", tool_call_id: "call_0" }], { ...options, addGenerationPrompt: false });
    const open = tokenizer.applyChatTemplate(messages, { ...options, addGenerationPrompt: false });
    let text = history.slice(open.length);
    const generation = prompt.slice(open.length);
    let shared = 0;
    while (shared < text.length && shared < generation.length && text[shared] === generation[shared]) shared++;
    text = text.slice(shared);
    text = text.slice(0, text.indexOf(eos.text) + eos.text.length);
    const promptIds = tokenizer.encode(prompt);
    const completionIds = answer.finish_reason === "length" ? tokenizer.encode(text.slice(0, -eos.text.length)) : tokenizer.encode(text);
    const usage = { prompt_tokens: promptIds.length, completion_tokens: completionIds.length, total_tokens: promptIds.length + completionIds.length };
    if (!body.return_token_ids) return { ...answer, usage };
    return { ...answer, usage, prompt_token_ids: promptIds, completion_token_ids: completionIds, logprobs: completionIds.map((id) => -((id % 97) + 1) / 100) };
  };
}

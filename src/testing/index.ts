// agent-context-compiler/testing: the in-process OpenAI-compatible server acc's own tests script, for
// programs that build on acc and want to test against a real wire protocol without a model (docs/api.md).
export { startOpenAIServer, type OpenAIServer, type RecordedRequest, type ServerOptions, type ServerScript } from "./openai-server.js";
export { echoAnswer, type Answer, type AnswerToolCall, type CompletionRequestBody, type RawReply, type Reply } from "./replies.js";
export { withTokenIds } from "./token-ids.js";

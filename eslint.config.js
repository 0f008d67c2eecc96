// Lint: ESLint's and typescript-eslint's recommended rules (syntax-aware, no type information, so it stays fast).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "bench/.data/", "examples/.build/", ".venv-checks/", "out/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", TextEncoder: "readonly", TextDecoder: "readonly", AbortController: "readonly", AbortSignal: "readonly", structuredClone: "readonly", fetch: "readonly", queueMicrotask: "readonly", performance: "readonly", setImmediate: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
      // Matching terminal escape codes and control characters is part of the job.
      "no-control-regex": "off",
    },
  },
  {
    files: ["src/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "ClassDeclaration[superClass.name='Error']",
          message: "Extend AccError or UsageError (src/errors/acc-error.ts): the CLI reports them in one line with their exit code; any other error is reported as a bug.",
        },
        {
          selector: "CallExpression[callee.property.name='postMessage'][callee.object.name='parentPort'], CallExpression[callee.property.name='postMessage'][callee.object.expression.name='parentPort']",
          message: "A worker answers through serveTasks (src/run/worker-serve.ts): it sends errors as data the pool can rebuild, never as strings.",
        },
        {
          selector: "CallExpression[callee.object.name='JSON'][callee.property.name='parse'] CallExpression[callee.name=/^readFile(Sync)?$/]",
          message: "Read a JSON file through readJsonFile or requireJsonFile (src/io/json-file.ts): a lenient schema of the fields used, and one line naming the file and the reason when it does not fit, never a SyntaxError or a TypeError on a missing field.",
        },
        {
          selector: "CallExpression[callee.name=/^mkdir(Sync)?$/] Property[key.name='recursive']",
          message: "Use makeDirectory (src/io/directory.ts): Node's recursive mkdir spins forever under /proc, and the folders it makes are not cleaned up when the run fails.",
        },
      ],
    },
  },
  // Data flows one way: execution (src/run) serves the stages and imports none of them; the verifiers
  // do not reach into the environments (the environments use the verifiers).
  {
    files: ["src/run/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["cli", "compile", "envs", "evals", "export", "formats", "import", "llm", "mine", "privacy", "rollout", "teach", "tokenize", "verify"].flatMap((stage) => [`../${stage}/*`, `../../${stage}/*`]),
              message: "src/run imports nothing from the stages above it",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["src/verify/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: ["../envs/*", "../rollout/*"], message: "the verifiers do not import the environments (envs imports verify)" }] }] },
  },
  // A command file parses its flags and calls the library; what several commands share lives in src/cli/ (options.ts and the groups beside it).
  {
    files: ["src/cli/commands/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: ["./*"], message: "a command imports no other command: move what they share to src/cli/ (an option group, a helper)" }] }] },
  },
);

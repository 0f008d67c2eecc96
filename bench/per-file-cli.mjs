// acc's CLI from tsc's per-file build (dist/cli/program.js) instead of the bundle (dist/cli/main.js): a V8 CPU
// profile of it names each function's own module, which bench:import's breakdown reads; the bundle's chunks
// would put every stage under dist/cli/.
import { main } from "../dist/cli/program.js";

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });

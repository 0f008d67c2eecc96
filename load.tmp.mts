import "zod";
import { loadTokenizer } from "./src/tokenize/hf-dir.ts";
import { QWEN3_DIR } from "./src/tokenize/qwen3.ts";
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const t = cpu(); await loadTokenizer(QWEN3_DIR); console.log(process.argv[2], (cpu() - t).toFixed(0));

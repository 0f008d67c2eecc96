// Preloaded into a benchmarked process (`node --import`): prints its peak RSS to stderr at exit.
process.on("exit", () => process.stderr.write(`\nbench-max-rss-kb=${process.resourceUsage().maxRSS}\n`));

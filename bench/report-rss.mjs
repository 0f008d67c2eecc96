// Preloaded into a benchmarked process (`node --import`): prints its peak RSS and CPU time (all threads) to stderr at exit.
process.on("exit", () => {
  const usage = process.resourceUsage();
  process.stderr.write(`\nbench-max-rss-kb=${usage.maxRSS} bench-cpu-us=${usage.userCPUTime + usage.systemCPUTime}\n`);
});

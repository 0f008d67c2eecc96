// Preloaded into a benchmarked process (`node --import`): prints its peak RSS and CPU time (all threads) to stderr at exit,
// the CPU time of its main thread alone (the JavaScript; the rest is V8's compiler and GC threads and libuv's pool)
// and its minor page faults.
import { readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ, the unit of /proc/<pid>/task/<tid>/stat

process.on("exit", () => {
  const usage = process.resourceUsage();
  let mainMicros = Number.NaN;
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // from the 3rd field on: the name may hold spaces
    mainMicros = ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e6; // utime, stime: fields 14 and 15
  } catch {
    // not Linux: the main thread's share is not printed
  }
  process.stderr.write(`\nbench-max-rss-kb=${usage.maxRSS} bench-cpu-us=${usage.userCPUTime + usage.systemCPUTime} bench-main-cpu-us=${mainMicros} bench-faults=${usage.minorPageFault}\n`);
});

// Preloaded by the benchmark (node --import) into textfile runs: at exit, writes the process's own
// resource usage (process.resourceUsage(): CPU in µs, maxRSS in KiB) to $BENCH_RUSAGE_FILE.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_RUSAGE_FILE;
if (file) process.on('exit', () => writeFileSync(file, JSON.stringify(process.resourceUsage())));

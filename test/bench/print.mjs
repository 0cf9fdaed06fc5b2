// Prints the tables the suites appended during `npm run bench`, in one place at the end.
import { existsSync, readFileSync } from 'node:fs';

const file = new URL('./results/latest.md', import.meta.url);
if (existsSync(file)) process.stdout.write(`\n## Benchmark results (${new Date().toISOString().slice(0, 10)}, ${(await import('node:os')).cpus().length} cores, Node ${process.version})\n\n` + readFileSync(file, 'utf8'));

#!/usr/bin/env node
// `npm run bench -- NAME`: the benchmarks of docs/benchmarks.md. They live in bench/, outside
// dist/, and run from their TypeScript through tsx; the commands they start are the built CLI
// (bin/ runs dist/), so `npm run bench` builds first.
await import('../bench/main.ts');

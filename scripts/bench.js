#!/usr/bin/env node
// `npm run bench -- NAME`: the benchmarks of docs/quality.md, from the built code (npm run build).
await import('../dist/bench/main.js');

#!/usr/bin/env node
// The built CLI: `npm run build` (which npm ci runs through `prepare`) bundles src/cli/main.ts
// into dist/bundle/ (scripts/bundle.js).

// Node 21 and later define navigator.userAgent ("Node.js/<major>"); Node 20 does not, and pg then
// tells Node from Cloudflare Workers by constructing a fetch Response, which loads undici: about
// 11 ms of every database command's start (docs/benchmarks.md, "start"). Give Node 20 what later
// versions have, so every library sees the same runtime as on those.
if (globalThis.navigator === undefined) {
  Object.defineProperty(globalThis, 'navigator', {
    value: Object.freeze({ userAgent: `Node.js/${process.versions.node.split('.')[0]}` }),
    configurable: true,
  });
}

const { main } = await import('../dist/bundle/main.js');
await main();

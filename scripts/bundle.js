#!/usr/bin/env node
// The CLI as the `redeemctl` binary runs it: src/cli/main.ts bundled by esbuild into dist/bundle/,
// split at every `await import()` so a command loads only its own code (`--help` loads no
// database or Kafka client). Loading a few chunks instead of hundreds of modules is most of a
// short command's start (docs/benchmarks.md, "Start"). tsc still compiles src/ to dist/ for the
// tests and benchmarks that import modules directly.
//
// Left outside the bundle:
// - @electric-sql/pglite: it finds its WASM and data files next to its own module;
// - pg-native: an optional native driver pg tries to load only when asked for;
// - react-devtools-core: Ink imports it only when DEV=true;
// - the CommonJS packages our code takes named exports from with `await import()` (kafkajs,
//   pg-copy-streams, prom-client): in a split bundle such a package becomes a chunk whose only
//   export is `default`, so `const { Kafka, logLevel } = await import('kafkajs')` would get
//   undefined. Left to Node, they get Node's own named exports for CommonJS, as under tsc. pg is
//   bundled: src/db/database.ts takes its `default` only (tests/architecture/bundle.test.ts).
// dist/bundle/ is two folders below the package root, as src/shared/ is, so packageFile()
// (src/shared/packageFiles.ts) finds sql/ and fixtures/ from either.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const outdir = `${root}dist/bundle`;
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external: ['@electric-sql/pglite', 'pg-native', 'react-devtools-core', 'kafkajs', 'pg-copy-streams', 'prom-client'],
  // CommonJS dependencies (pg, kafkajs, pino) call require() for Node's own modules.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  logLevel: 'warning',
});

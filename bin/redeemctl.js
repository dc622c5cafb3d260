#!/usr/bin/env node
// The built CLI: `npm run build` (which npm ci runs through `prepare`) bundles src/cli/main.ts
// into dist/bundle/ (scripts/bundle.js).
import { main } from '../dist/bundle/main.js';

await main();

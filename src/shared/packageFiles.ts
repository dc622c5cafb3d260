import { fileURLToPath } from 'node:url';

// Files shipped beside the code (sql/, fixtures/), found from this module's own location. This
// module sits two folders below the package root wherever it runs: src/shared/ (tests, tsx),
// dist/shared/ (tsc) and dist/bundle/ (the bundled CLI, scripts/bundle.js), so one relative path
// serves all three. Every other module asks here instead of counting its own `../`.

/** The absolute path of `relative` (e.g. 'sql/', 'fixtures/demo.json') inside the package. */
export function packageFile(relative: string): string {
  return fileURLToPath(new URL(`../../${relative}`, import.meta.url));
}

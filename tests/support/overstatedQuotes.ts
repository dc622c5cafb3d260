import type * as QuoteModule from '../../src/engine/quote.js';

/**
 * The quote module with every balance reported 1,000 points higher than the member holds: the
 * --all-or-nothing pre-check passes, and the engine refuses while granting (the residual race of
 * docs/batch.md, as if the members had spent the points in between). For `vi.mock`, which hoists
 * its factory above the imports, so the factory imports this module itself:
 *
 *   vi.mock('../../src/engine/quote.js', async (importOriginal) =>
 *     (await import('../support/overstatedQuotes.js')).overstatedQuotes(await importOriginal()));
 */
export function overstatedQuotes(real: typeof QuoteModule): typeof QuoteModule {
  return {
    ...real,
    quote: async (...args: Parameters<typeof real.quote>) => {
      const q = await real.quote(...args);
      return { ...q, balance: (q.balance ?? 0) + 1000 };
    },
  };
}

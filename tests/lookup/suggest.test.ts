import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, rankSuggestions, typoBudget } from '../../src/lookup/suggest.js';

// The "Did you mean …?" ranking for misspelt reward codes (docs/lookup.md, "Suggestions").

const CODES = ['COFFEE-VOUCHER', 'COFFEE-MUG', 'TOTE-BAG', 'GOLD-LOUNGE', 'STUDENT-SNACK', 'BIRTHDAY-CAKE', 'SUMMER-2025'];

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['ABC', '', 3],
    ['', 'ABC', 3],
    ['COFFEE', 'COFFEE', 0],
    ['COFE', 'COFFEE', 2],
    ['MUG', 'MGU', 1], // a swap of neighbours is one edit
    ['KITTEN', 'SITTING', 3],
    ['TOTE-BAG', 'TOTE-BAT', 1],
  ])('%j → %j is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('typoBudget', () => {
  it('allows one typo up to 7 characters, then one per 4', () => {
    expect([1, 3, 7, 8, 12, 14, 20].map(typoBudget)).toEqual([1, 1, 1, 2, 3, 3, 5]);
  });
});

describe('rankSuggestions', () => {
  it('finds the code a typo came from', () => {
    expect(rankSuggestions('COFE-VOUCHER', CODES)).toEqual(['COFFEE-VOUCHER']);
    expect(rankSuggestions('TOTE-BGA', CODES)).toEqual(['TOTE-BAG']);
    expect(rankSuggestions('SUMMER-2052', CODES)).toEqual(['SUMMER-2025']);
  });

  it('ignores case, and a case-only difference ranks first', () => {
    expect(rankSuggestions('coffee-mug', CODES)).toEqual(['COFFEE-MUG']);
    expect(rankSuggestions('Coffee-Mug', ['COFFEE-MUGS', 'COFFEE-MUG'])).toEqual(['COFFEE-MUG', 'COFFEE-MUGS']);
  });

  it('ranks typos by distance before prefixes, and prefixes before substrings', () => {
    // COFFEE-MUX is one edit from COFFEE-MUG; COFFEE-MUX-XL starts with the input; XX-COFFEE-MUX holds it.
    expect(rankSuggestions('COFFEE-MUX', ['XX-COFFEE-MUX', 'COFFEE-MUX-XL', 'COFFEE-MUG'])).toEqual(['COFFEE-MUG', 'COFFEE-MUX-XL', 'XX-COFFEE-MUX']);
    // Equal rank: alphabetical, so the answer is stable.
    expect(rankSuggestions('COFFEE', CODES)).toEqual(['COFFEE-MUG', 'COFFEE-VOUCHER']);
    expect(rankSuggestions('MUG', CODES)).toEqual(['COFFEE-MUG']);
  });

  it('suggests nothing when nothing is near, for blank input, or with max 0', () => {
    expect(rankSuggestions('NO-SUCH', CODES)).toEqual([]);
    expect(rankSuggestions('XYZZY-PLUGH', CODES)).toEqual([]);
    expect(rankSuggestions('  ', CODES)).toEqual([]);
    expect(rankSuggestions('COFFEE', CODES, 0)).toEqual([]);
    expect(rankSuggestions('COFFEE', [])).toEqual([]);
  });

  it('short inputs do not match by prefix or substring (too many would)', () => {
    expect(rankSuggestions('CO', CODES)).toEqual([]);
  });

  it('returns at most max, each candidate once', () => {
    const many = ['CAKE-1', 'CAKE-2', 'CAKE-3', 'CAKE-4', 'CAKE-1'];
    expect(rankSuggestions('CAKE-0', many)).toEqual(['CAKE-1', 'CAKE-2', 'CAKE-3']);
    expect(rankSuggestions('CAKE-0', many, 5)).toEqual(['CAKE-1', 'CAKE-2', 'CAKE-3', 'CAKE-4']);
  });
});

describe('didYouMean', () => {
  it('phrases none, one and several', () => {
    expect(didYouMean([])).toBe('');
    expect(didYouMean(['COFFEE-VOUCHER'])).toBe(' Did you mean COFFEE-VOUCHER?');
    expect(didYouMean(['A', 'B', 'C'])).toBe(' Did you mean A, B or C?');
  });
});

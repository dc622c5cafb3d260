// "Did you mean …?" for a key that names nothing (a misspelt reward_code). Pure: no database.
// Ranking and thresholds: docs/lookup.md, "Suggestions".

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
 * neighbouring characters each cost 1 (`COFE` → `COFFEE` is 2, `MUG` → `MGU` is 1).
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** Typos tolerated for an input of this length: 1 up to 7 characters, then one per 4. */
export function typoBudget(length: number): number {
  return Math.max(1, Math.floor(length / 4));
}

/**
 * The candidates nearest to `input`, best first, at most `max`; none when nothing is near.
 * Compared case-insensitively. Ranked by kind, then distance, then the candidate itself:
 *   1. within the typo budget (a case-only difference is distance 0, so it comes first);
 *   2. a prefix either way (`COFFEE` → `COFFEE-MUG`), for inputs of 3 characters or more;
 *   3. a substring (`MUG` → `COFFEE-MUG`), for inputs of 3 characters or more.
 */
export function rankSuggestions(input: string, candidates: readonly string[], max = 3): string[] {
  const key = input.trim().toUpperCase();
  if (key === '' || max <= 0) return [];
  const ranked: Array<{ candidate: string; kind: number; distance: number }> = [];
  for (const candidate of new Set(candidates)) {
    const other = candidate.toUpperCase();
    const distance = editDistance(key, other);
    let kind: number | undefined;
    if (distance <= typoBudget(key.length)) kind = 1;
    else if (key.length >= 3 && (other.startsWith(key) || key.startsWith(other))) kind = 2;
    else if (key.length >= 3 && other.includes(key)) kind = 3;
    if (kind !== undefined) ranked.push({ candidate, kind, distance });
  }
  ranked.sort((x, y) => x.kind - y.kind || x.distance - y.distance || (x.candidate < y.candidate ? -1 : x.candidate > y.candidate ? 1 : 0));
  return ranked.slice(0, max).map((r) => r.candidate);
}

/** `["A"]` → ` Did you mean A?`; `["A", "B", "C"]` → ` Did you mean A, B or C?`; none → ``. */
export function didYouMean(suggestions: readonly string[]): string {
  if (suggestions.length === 0) return '';
  const list = suggestions.length === 1 ? suggestions[0]! : `${suggestions.slice(0, -1).join(', ')} or ${suggestions[suggestions.length - 1]!}`;
  return ` Did you mean ${list}?`;
}

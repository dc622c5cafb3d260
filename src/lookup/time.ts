// Times leave the lookups as ISO-8601 in UTC (`2026-12-02T10:15:00.000Z`), never zoneless. The
// human tables print them with formatTime (src/shared/format.ts), to the second.

export function isoTime(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

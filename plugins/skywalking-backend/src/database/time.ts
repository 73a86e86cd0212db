/** A database timestamp as ISO 8601 (Date from PostgreSQL, 'YYYY-MM-DD HH:MM:SS' in UTC from SQLite). */
export function toIso(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return new Date(value).toISOString();
  const s = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(' ', 'T')}Z`).toISOString();
}

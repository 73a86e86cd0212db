/**
 * Small helpers the spec validators and the annotation readers share (not
 * exported from the package: internal to skywalking-common).
 */
import type { FieldError } from './api';

export const isObject = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);

/** An error per key of `o` not in `keys`, naming the known ones. */
export function unknownKeys(errors: FieldError[], path: string, o: Record<string, any>, keys: string[]) {
  for (const k of Object.keys(o)) if (!keys.includes(k)) errors.push({ path: `${path}.${k}`, message: `is not a known field (known: ${keys.join(', ')})` });
}

/** The JSON object recorded in annotation `name`; undefined when absent, unreadable or not an object. */
export function jsonAnnotation<T>(cr: { metadata?: { annotations?: Record<string, string> } }, name: string): T | undefined {
  const raw = cr.metadata?.annotations?.[name];
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw);
    return isObject(v) ? (v as T) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Validates SWCK objects against our CRD schemas with ajv, the way the API
 * server would: null values of non-nullable fields are dropped first, and
 * unknown fields are errors (kubectl's strict field validation) unless
 * `unknownFields: 'prune'`.
 */
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import type { FieldError } from '../api';
import { SWCK_GROUP_VERSION, SWCK_KINDS, SwckKind } from './constants';
import { OpenApiSchema, objectSchema, specSchemas } from './schemas';

export interface CrdValidationOptions {
  /** 'error' (default) reports unknown fields; 'prune' ignores them as the API server does without strict validation */
  unknownFields?: 'error' | 'prune';
}

/** Converts a structural OpenAPI v3 schema to a JSON Schema ajv can compile. */
export function toJsonSchema(s: OpenApiSchema, unknownFields: 'error' | 'prune' = 'error'): Record<string, any> {
  const out: Record<string, any> = {};
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (s['x-kubernetes-int-or-string']) {
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  } else if (s.type) {
    out.type = s.nullable ? [s.type, 'null'] : s.type;
  }
  if (s.enum) out.enum = s.nullable ? [...s.enum, null] : s.enum;
  if (s.format === 'int32') {
    out.minimum = -2147483648;
    out.maximum = 2147483647;
  }
  if (s.format === 'int64') {
    out.minimum = Number.MIN_SAFE_INTEGER;
    out.maximum = Number.MAX_SAFE_INTEGER;
  }
  if (s.minimum !== undefined) out.minimum = s.minimum;
  if (s.maximum !== undefined) out.maximum = s.maximum;
  if (s.required) out.required = s.required;
  if (s.items) out.items = toJsonSchema(s.items, unknownFields);
  if (s.properties) {
    out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, toJsonSchema(v, unknownFields)]));
  }
  if (s.additionalProperties !== undefined) {
    out.additionalProperties = typeof s.additionalProperties === 'boolean' ? s.additionalProperties : toJsonSchema(s.additionalProperties, unknownFields);
  } else if (s.properties && !preserve && unknownFields === 'error') {
    out.additionalProperties = false;
  }
  return out;
}

/** Drops null-valued fields (what the API server does for non-nullable fields) and prototype keys. */
export function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === null || v === undefined) continue;
      out[k] = dropNulls(v);
    }
    return out;
  }
  return value;
}

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const cache = new Map<string, ValidateFunction>();

function compiled(key: string, schema: OpenApiSchema, unknownFields: 'error' | 'prune'): ValidateFunction {
  const k = `${key}:${unknownFields}`;
  let fn = cache.get(k);
  if (!fn) {
    fn = ajv.compile(toJsonSchema(schema, unknownFields));
    cache.set(k, fn);
  }
  return fn;
}

function toFieldErrors(errors: ErrorObject[] | null | undefined, prefix: string): FieldError[] {
  return (errors ?? []).map(e => {
    const parts = e.instancePath
      .split('/')
      .slice(1)
      .map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    let path = prefix;
    for (const p of parts) path += /^\d+$/.test(p) ? `[${p}]` : `${path ? '.' : ''}${p}`;
    const join = (name: string) => `${path ? `${path}.` : ''}${name}`;
    switch (e.keyword) {
      case 'required':
        return { path: join(e.params.missingProperty), message: 'is required' };
      case 'additionalProperties':
        return { path: join(e.params.additionalProperty), message: 'is not a known field' };
      case 'type':
        return { path, message: `must be ${Array.isArray(e.params.type) ? e.params.type.join(' or ') : e.params.type}` };
      case 'enum':
        return { path, message: `must be one of ${(e.params.allowedValues as unknown[]).join(', ')}` };
      default:
        return { path, message: e.message ?? e.keyword };
    }
  });
}

function isKind(kind: unknown): kind is SwckKind {
  return typeof kind === 'string' && (SWCK_KINDS as readonly string[]).includes(kind);
}

/** Validates a whole SWCK object (apiVersion, kind, spec, status) against its CRD schema. */
export function validateSwckObject(obj: unknown, options: CrdValidationOptions = {}): FieldError[] {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return [{ path: '', message: 'must be an object' }];
  const o = obj as Record<string, any>;
  const errors: FieldError[] = [];
  if (o.apiVersion !== SWCK_GROUP_VERSION) errors.push({ path: 'apiVersion', message: `must be ${SWCK_GROUP_VERSION}` });
  if (!isKind(o.kind)) {
    errors.push({ path: 'kind', message: `must be one of ${SWCK_KINDS.join(', ')}` });
    return errors;
  }
  if (!o.metadata || typeof o.metadata !== 'object' || typeof o.metadata.name !== 'string' || !o.metadata.name) {
    errors.push({ path: 'metadata.name', message: 'is required' });
  }
  const mode = options.unknownFields ?? 'error';
  const fn = compiled(`object:${o.kind}`, objectSchema(o.kind), mode);
  if (!fn(dropNulls(o))) errors.push(...toFieldErrors(fn.errors, ''));
  return errors;
}

/** Validates only the spec of a kind; paths start with `spec.`. */
export function validateSwckSpec(kind: SwckKind, spec: unknown, options: CrdValidationOptions = {}): FieldError[] {
  if (!isKind(kind)) return [{ path: 'kind', message: `must be one of ${SWCK_KINDS.join(', ')}` }];
  const mode = options.unknownFields ?? 'error';
  const fn = compiled(`spec:${kind}`, specSchemas[kind], mode);
  if (spec === undefined || spec === null) return [{ path: 'spec', message: 'is required' }];
  return fn(dropNulls(spec)) ? [] : toFieldErrors(fn.errors, 'spec');
}

/** One validator per kind, e.g. `specValidators.OAPServer(spec)`. */
export const specValidators: Record<SwckKind, (spec: unknown, options?: CrdValidationOptions) => FieldError[]> = Object.fromEntries(
  SWCK_KINDS.map(k => [k, (spec: unknown, options?: CrdValidationOptions) => validateSwckSpec(k, spec, options)]),
) as any;

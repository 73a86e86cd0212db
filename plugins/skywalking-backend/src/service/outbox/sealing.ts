/*
 * Literal oap.config values of a queued change, sealed before they reach the
 * outbox table (security review M3: they sat there in clear until replayed).
 * Values of names on the safe-names allowlist stay readable; every other
 * literal is replaced by `sealedValue`, AES-256-GCM under a key kept in a
 * Kubernetes Secret (outboxKey.ts), bound to the backend and the env name so
 * that a sealed value cannot be moved to another entry. The key never enters
 * the database; the row alone reveals nothing.
 */
import crypto from 'node:crypto';
import { ServiceUnavailableError } from '@backstage/errors';
import { DEFAULT_SAFE_ENV_NAMES, isSafeEnvName } from '@skywalking-backstage/plugin-skywalking-common';
import { backendKeyOf, OutboxOp } from './types';

/** A 32-byte AES key and its id (a digest, to tell keys apart in errors). */
export interface OutboxKey {
  id: string;
  key: Buffer;
}

/** Where the key comes from; throws when it cannot be had now. */
export interface OutboxKeySource {
  /** where it is kept, for messages */
  describe(): string;
  key(): Promise<OutboxKey>;
}

export function outboxKeyOf(key: Buffer): OutboxKey {
  if (key.length !== 32) throw new Error(`an outbox key is 32 bytes, this one has ${key.length}`);
  return { id: crypto.createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

const VERSION = 'v1';

type Env = { name?: unknown; value?: unknown; sealedValue?: unknown; [k: string]: unknown };

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The op with `fn` applied to the oap.config entries of every spec among its arguments (create: args[0], update: args[1]). */
function mapEnv(op: OutboxOp, fn: (e: Env) => Env): OutboxOp {
  const args = (op.payload.args ?? []).map(a => {
    if (!isObject(a) || !isObject(a.oap) || !Array.isArray(a.oap.config)) return a;
    return { ...a, oap: { ...a.oap, config: a.oap.config.map((e: unknown) => (isObject(e) ? fn(e) : e)) } };
  });
  return { ...op, payload: { ...op.payload, args } };
}

export interface OutboxSealerOptions {
  /** absent: a change holding a secret literal is not queued (503), never stored in clear */
  keys?: OutboxKeySource;
  /** names whose literal values are harmless (skywalking.oapConfig.safeEnvNames) */
  safeEnvNames?: string[];
}

/** Seals the literal secrets of a change before it is queued; opens them when it is replayed. */
export class OutboxSealer {
  constructor(private readonly o: OutboxSealerOptions = {}) {}

  /** Reads the key ahead of need: a cluster that goes down later is then no reason to refuse a change. */
  async warm(): Promise<void> {
    await this.o.keys?.key();
  }

  /** The literal values a queued change would hold in clear: names not on the safe list. */
  secretLiterals(op: OutboxOp): string[] {
    const names: string[] = [];
    mapEnv(op, e => {
      if (e.value !== undefined && !isSafeEnvName(e.name, this.o.safeEnvNames ?? DEFAULT_SAFE_ENV_NAMES)) names.push(String(e.name));
      return e;
    });
    return names;
  }

  private async key(names: string[], op: OutboxOp): Promise<OutboxKey> {
    const why = `the ${op.operation} holds literal oap.config values (${names.join(', ')}), which are not kept in the outbox in clear`;
    if (!this.o.keys) throw new ServiceUnavailableError(`${why}, and no outbox key is configured: not queued; use valueFrom.secretKeyRef`);
    try {
      return await this.o.keys.key();
    } catch (e) {
      // no cause: a network error reading the key is not the target cluster's
      throw new ServiceUnavailableError(`${why}, and the outbox key (${this.o.keys.describe()}) cannot be read: ${(e as Error)?.message ?? e}`);
    }
  }

  /** The op as it may be stored: every secret literal replaced by `sealedValue`. */
  async seal(op: OutboxOp): Promise<OutboxOp> {
    const names = this.secretLiterals(op);
    if (!names.length) return op;
    const k = await this.key(names, op);
    const backend = backendKeyOf(op);
    return mapEnv(op, e => {
      if (e.value === undefined || isSafeEnvName(e.name, this.o.safeEnvNames ?? DEFAULT_SAFE_ENV_NAMES)) return e;
      const { value, ...rest } = e;
      const iv = crypto.randomBytes(12);
      const c = crypto.createCipheriv('aes-256-gcm', k.key, iv);
      c.setAAD(Buffer.from(`${backend}|${String(e.name)}`));
      const data = Buffer.concat([c.update(JSON.stringify(value), 'utf8'), c.final()]);
      return { ...rest, sealedValue: [VERSION, k.id, iv.toString('base64'), data.toString('base64'), c.getAuthTag().toString('base64')].join('.') };
    });
  }

  /** The op as it was asked: every `sealedValue` opened back into its `value`. */
  async open(op: OutboxOp): Promise<OutboxOp> {
    let sealed = false;
    mapEnv(op, e => {
      sealed ||= typeof e.sealedValue === 'string';
      return e;
    });
    if (!sealed) return op;
    if (!this.o.keys) throw new ServiceUnavailableError(`the queued ${op.operation} of ${backendKeyOf(op)} holds sealed values and no outbox key is configured`);
    const k = await this.o.keys.key().catch(e => {
      throw new ServiceUnavailableError(`the outbox key (${this.o.keys!.describe()}) cannot be read to open the queued ${op.operation} of ${backendKeyOf(op)}: ${e?.message ?? e}`);
    });
    const backend = backendKeyOf(op);
    return mapEnv(op, e => {
      if (typeof e.sealedValue !== 'string') return e;
      const { sealedValue, ...rest } = e;
      const [version, id, iv, data, tag] = sealedValue.split('.');
      if (version !== VERSION || !tag) throw new Error(`oap.config ${String(e.name)} of the queued ${op.operation} of ${backend}: not a sealed value`);
      if (id !== k.id) {
        throw new Error(`oap.config ${String(e.name)} of the queued ${op.operation} of ${backend} was sealed with outbox key ${id}; ${this.o.keys!.describe()} holds key ${k.id}`);
      }
      const d = crypto.createDecipheriv('aes-256-gcm', k.key, Buffer.from(iv, 'base64'));
      d.setAAD(Buffer.from(`${backend}|${String(e.name)}`));
      d.setAuthTag(Buffer.from(tag, 'base64'));
      let plain: string;
      try {
        plain = Buffer.concat([d.update(Buffer.from(data, 'base64')), d.final()]).toString('utf8');
      } catch {
        throw new Error(`oap.config ${String(e.name)} of the queued ${op.operation} of ${backend} does not open: altered, or sealed for another entry`);
      }
      return { ...rest, value: JSON.parse(plain) };
    });
  }
}

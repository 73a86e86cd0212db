/*
 * Admission off Backstage's event loop. Each request body goes to a worker
 * thread that parses, reviews and mutates it (admissionWorker.ts); the main
 * thread only moves bytes. Every request has a deadline: past it the pod is
 * admitted unchanged with a warning (what failurePolicy Ignore would do, but
 * answered before the API server gives up), and a worker still busy with it
 * is terminated and replaced. Nothing a request carries can stall the portal.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AdmissionAnswer, allowedWithoutPatch } from './admission';

/** A module exporting a Mutator factory; workers load it themselves (functions cannot cross threads). */
export interface MutatorModule {
  /** absolute path of the module */
  module: string;
  /** name of the exported factory `(options) => Mutator` */
  export: string;
  /** structured-cloneable options for the factory */
  options?: unknown;
}

export type WorkerRequest = { id: number; body: Uint8Array };
export type WorkerReply =
  | { id: number; type: 'ready' }
  | { id: number; type: 'failed'; message: string }
  | { id: number; type: 'parsed'; uid: string }
  | { id: number; type: 'answer'; answer: AdmissionAnswer };

// Workers load modules beside this one, in the form that is running: '.ts' from source (dev,
// tests), '.cjs.js' from a Backstage build (rollup keeps one output file per module).
const moduleSuffix = path.basename(__filename).slice('admissionPool'.length);
// eslint-disable-next-line no-restricted-syntax -- exactly this module's directory, in src/ or dist/
const sibling = (name: string) => path.join(__dirname, `${name}${moduleSuffix}`);

// referenced so that a build emits the worker's module (nothing else imports it)
export { startAdmissionWorker } from './admissionWorker';

/** The portal's own mutator (webhook/podMutator.ts) with no namespace defaults. */
export const DEFAULT_MUTATOR: MutatorModule = { module: sibling('podMutator'), export: 'createAdmissionMutator', options: {} };

// A worker that starts from TypeScript source needs the transform the main process uses.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
if (workerData.transform) require(workerData.transform);
require(workerData.entry).startAdmissionWorker();
`;

// the transform `backstage-cli package start` preloads, or the CLI's copy of it
const TRANSFORMS = ['@backstage/cli-node/config/nodeTransform.cjs', '@backstage/cli/config/nodeTransform.cjs'];

function transformFor(entry: string): string | undefined {
  if (!entry.endsWith('.ts')) return undefined;
  for (const t of TRANSFORMS) {
    try {
      return require.resolve(t);
    } catch {
      // try the next
    }
  }
  throw new Error(`the admission worker runs from TypeScript source (${entry}) but none of ${TRANSFORMS.join(', ')} is installed`);
}

export interface AdmissionPoolOptions {
  /** worker threads; default 2 */
  size?: number;
  /** per-request deadline from arrival, in ms */
  deadlineMs: number;
  mutator?: MutatorModule;
  /** requests waiting for a worker beyond this are answered at once (allowed, not injected) */
  maxQueue?: number;
  /** told when a worker is replaced, with the reason */
  onReplaced?: (reason: string) => void;
}

interface Job {
  id: number;
  body: Buffer;
  arrived: number;
  uid?: string;
  timer?: NodeJS.Timeout;
  done: boolean;
  resolve(a: AdmissionAnswer): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job?: Job;
  retired: boolean;
}

// the API server writes request.uid first (Go field order); a bounded, linear look for it when the worker never said
const UID_AT_START = /"request"\s{0,16}:\s{0,16}\{\s{0,16}"uid"\s{0,16}:\s{0,16}"([A-Za-z0-9-]{1,64})"/;

export class AdmissionPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private stopped = false;
  private startError?: string;
  /** workers replaced after a deadline or a crash */
  replaced = 0;

  constructor(private readonly options: AdmissionPoolOptions) {}

  private get size() {
    return Math.max(1, this.options.size ?? 2);
  }

  /** Starts the workers; rejects when the mutator module cannot be loaded. */
  async start(): Promise<void> {
    const boots = Array.from({ length: this.size }, () => this.spawn());
    await Promise.all(boots);
  }

  private spawn(): Promise<void> {
    const entry = sibling('admissionWorker');
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { entry, transform: transformFor(entry), mutator: this.options.mutator ?? DEFAULT_MUTATOR },
      // a worker is a small program: bound its heap so a huge review cannot take the portal's memory
      resourceLimits: { maxOldGenerationSizeMb: 256 },
      // not the parent's --require of the transform: the bootstrap loads it exactly once
      execArgv: [],
    });
    const slot: Slot = { worker, ready: false, retired: false };
    this.slots.push(slot);
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (m: WorkerReply) => {
        if (m.type === 'ready') {
          slot.ready = true;
          resolve();
          this.dispatch();
        } else if (m.type === 'failed') {
          this.startError = m.message;
          reject(new Error(`admission worker could not start: ${m.message}`));
        } else if (slot.job && slot.job.id === m.id) {
          if (m.type === 'parsed') slot.job.uid = m.uid;
          else this.complete(slot, m.answer);
        }
      });
      worker.on('error', (e: Error) => {
        if (!slot.ready) reject(e);
        this.retire(slot, `worker error: ${e.message}`);
      });
      worker.on('exit', code => {
        if (!slot.ready) reject(new Error(`admission worker exited with code ${code} before it was ready${this.startError ? `: ${this.startError}` : ''}`));
        this.retire(slot, `worker exited with code ${code}`);
      });
    });
  }

  /** Answers one request body; never rejects. */
  run(body: Buffer): Promise<AdmissionAnswer> {
    return new Promise(resolve => {
      const job: Job = { id: this.nextId++, body, arrived: Date.now(), done: false, resolve };
      if (this.stopped) {
        this.fail(job, 'the webhook is stopping');
        return;
      }
      if (this.queue.length >= (this.options.maxQueue ?? 64)) {
        this.fail(job, `the webhook is busy (${this.queue.length} reviews waiting)`);
        return;
      }
      job.timer = setTimeout(() => this.expire(job), this.options.deadlineMs);
      this.queue.push(job);
      this.dispatch();
    });
  }

  private dispatch() {
    for (const slot of this.slots) {
      if (!this.queue.length) return;
      if (!slot.ready || slot.job || slot.retired) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.postMessage({ id: job.id, body: job.body } satisfies WorkerRequest);
    }
  }

  private complete(slot: Slot, answer: AdmissionAnswer) {
    const job = slot.job!;
    slot.job = undefined;
    if (!job.done) {
      job.done = true;
      clearTimeout(job.timer);
      job.resolve(answer);
    }
    this.dispatch();
  }

  private expire(job: Job) {
    if (job.done) return;
    const queued = this.queue.indexOf(job);
    if (queued >= 0) this.queue.splice(queued, 1);
    this.fail(job, `admission took longer than its ${this.options.deadlineMs} ms deadline`);
    const slot = this.slots.find(s => s.job === job);
    // the worker may be in an endless loop: it cannot be interrupted, only replaced
    if (slot) this.retire(slot, `request ${job.id} passed its deadline`, true);
  }

  /** Takes a worker out of the pool (terminating it if asked) and starts a replacement. */
  private retire(slot: Slot, reason: string, terminate = false) {
    if (slot.retired) return;
    slot.retired = true;
    this.slots.splice(this.slots.indexOf(slot), 1);
    if (slot.job && !slot.job.done) this.fail(slot.job, `the admission worker stopped (${reason})`);
    slot.job = undefined;
    if (terminate) void slot.worker.terminate();
    if (this.stopped || !slot.ready) return;
    this.replaced++;
    this.options.onReplaced?.(reason);
    this.spawn().catch(() => {
      // a worker that cannot start again: the next request finds no worker and is answered at its deadline
    });
  }

  private fail(job: Job, reason: string) {
    if (job.done) return;
    job.done = true;
    clearTimeout(job.timer);
    const uid = job.uid ?? UID_AT_START.exec(job.body.subarray(0, 1024).toString('latin1'))?.[1];
    const warning = `skywalking: agent not injected: ${reason}`;
    if (uid) {
      job.resolve({ status: 200, text: JSON.stringify(allowedWithoutPatch(uid, warning)), outcome: 'error', uid, warning });
    } else {
      // without the uid no AdmissionResponse can match the request: failurePolicy Ignore admits the pod
      job.resolve({ status: 503, text: JSON.stringify({ error: `${reason}; the review could not be read in time` }), outcome: 'error', warning });
    }
  }

  /** Workers busy or ready (for tests and metrics). */
  workers(): number {
    return this.slots.length;
  }

  /** Workers that have started (a replacement takes a moment to load the mutator). */
  readyWorkers(): number {
    return this.slots.filter(s => s.ready).length;
  }

  async stop() {
    this.stopped = true;
    for (const job of this.queue.splice(0)) this.fail(job, 'the webhook is stopping');
    const slots = this.slots.splice(0);
    for (const s of slots) {
      s.retired = true;
      if (s.job) this.fail(s.job, 'the webhook is stopping');
    }
    await Promise.all(slots.map(s => s.worker.terminate()));
  }
}

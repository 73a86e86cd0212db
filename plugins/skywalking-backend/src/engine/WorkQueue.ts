/**
 * A keyed work queue as client-go's rate-limited workqueue: a key waiting is
 * queued once however often it is added (dedupe), a key is never processed by
 * two workers at once (an add during processing marks it dirty and it runs
 * again afterwards), and a failed key is retried after a per-key exponential
 * backoff with jitter, capped at maxDelayMs; success forgets its failures.
 */
export interface WorkQueueOptions {
  workers?: number;
  /** first retry delay; doubles per consecutive failure of the key */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** fraction of the delay randomised (0..1), so failing keys do not retry in lockstep */
  jitter?: number;
  onRetry?: (key: string, attempt: number, delayMs: number, error: unknown) => void;
}

export type WorkHandler = (key: string) => Promise<void | { requeueAfterMs?: number }>;

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** when each pending timer fires (ms since the epoch) */
  private readonly due = new Map<string, number>();
  private running = 0;
  private stopped = false;
  private paused = false;
  private readonly workers: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly jitter: number;

  constructor(private readonly handler: WorkHandler, private readonly options: WorkQueueOptions = {}) {
    this.workers = options.workers ?? 2;
    this.baseDelayMs = options.baseDelayMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
    this.jitter = options.jitter ?? 0.5;
  }

  /** keys waiting (queued or waiting for a retry), not counting those being processed */
  get depth(): number {
    return this.queue.length + this.timers.size;
  }

  /** consecutive failures of a key so far */
  attempts(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** the backoff before retry number `attempt` (1-based), before jitter */
  backoff(attempt: number): number {
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  }

  add(key: string) {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /**
   * Adds the key after a delay (one pending timer per key; the sooner wins, so
   * a short requeue, such as an upgrade step's deadline, is not held back by a
   * longer one still pending).
   */
  addAfter(key: string, ms: number) {
    if (this.stopped) return;
    const due = Date.now() + ms;
    if (this.timers.has(key)) {
      if ((this.due.get(key) ?? 0) <= due) return;
      clearTimeout(this.timers.get(key));
    }
    this.due.set(key, due);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.due.delete(key);
        this.add(key);
      }, ms),
    );
  }

  /** Stops handing out keys (e.g. while not leading); adds are still collected. */
  pause() {
    this.paused = true;
  }

  resume() {
    this.paused = false;
    this.pump();
  }

  private pump() {
    while (!this.stopped && !this.paused && this.running < this.workers && this.queue.length) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.processing.add(key);
      this.running++;
      this.handler(key)
        .then(result => {
          this.failures.delete(key);
          if (result && result.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
        })
        .catch(error => {
          const attempt = (this.failures.get(key) ?? 0) + 1;
          this.failures.set(key, attempt);
          const base = this.backoff(attempt);
          const delay = Math.round(base * (1 - this.jitter) + Math.random() * base * this.jitter);
          this.options.onRetry?.(key, attempt, delay, error);
          this.addAfter(key, delay);
        })
        .finally(() => {
          this.processing.delete(key);
          this.running--;
          if (this.dirty.delete(key)) this.add(key);
          this.pump();
        });
    }
  }

  /** Resolves when nothing is queued or running (retry timers are ignored unless `includeRetries`). */
  async idle(timeoutMs = 30_000, includeRetries = true) {
    const end = Date.now() + timeoutMs;
    while (this.queue.length || this.running || (includeRetries && this.timers.size)) {
      if (Date.now() > end) throw new Error(`work queue did not drain within ${timeoutMs} ms (depth ${this.depth}, running ${this.running})`);
      await new Promise(r => setTimeout(r, 20));
    }
  }

  stop() {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.due.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.dirty.clear();
  }
}

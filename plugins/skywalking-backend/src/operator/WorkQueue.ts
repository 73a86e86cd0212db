/**
 * A keyed work queue as in client-go: a key waiting is queued once however
 * often it is added, one key is never processed by two workers at once, and
 * failures retry with per-key exponential backoff and jitter.
 */
export interface WorkQueueOptions {
  workers?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  onDepth?: (depth: number) => void;
  onRetry?: (key: string, attempt: number, error: unknown) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  /** added again while processing: run once more afterwards */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private running = 0;
  private stopped = false;
  private readonly workers: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly handler: (key: string) => Promise<void>,
    private readonly options: WorkQueueOptions = {},
  ) {
    this.workers = options.workers ?? 2;
    this.baseDelayMs = options.baseDelayMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
  }

  get depth() {
    return this.queue.length;
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
    this.options.onDepth?.(this.queue.length);
    this.pump();
  }

  private addAfter(key: string, ms: number) {
    if (this.timers.has(key) || this.stopped) return;
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms));
  }

  private pump() {
    while (!this.stopped && this.running < this.workers && this.queue.length) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.processing.add(key);
      this.running++;
      this.options.onDepth?.(this.queue.length);
      this.handler(key)
        .then(() => this.failures.delete(key))
        .catch(error => {
          const attempt = (this.failures.get(key) ?? 0) + 1;
          this.failures.set(key, attempt);
          this.options.onRetry?.(key, attempt, error);
          const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
          this.addAfter(key, delay / 2 + Math.random() * (delay / 2));
        })
        .finally(() => {
          this.processing.delete(key);
          this.running--;
          if (this.dirty.delete(key)) this.add(key);
          this.pump();
        });
    }
  }

  /** Resolves when nothing is queued, running or waiting to retry. */
  async idle(timeoutMs = 30_000) {
    const end = Date.now() + timeoutMs;
    while (this.queue.length || this.running || this.timers.size) {
      if (Date.now() > end) throw new Error('work queue did not drain');
      await new Promise(r => setTimeout(r, 20));
    }
  }

  stop() {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
  }
}

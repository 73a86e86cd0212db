import { WorkQueue } from './WorkQueue';

const until = async (check: () => boolean, timeoutMs = 5000) => {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise(r => setTimeout(r, 5));
  }
};

describe('WorkQueue', () => {
  it('keeps the sooner of two delayed adds of a key', async () => {
    const seen: number[] = [];
    const start = Date.now();
    const q = new WorkQueue(async () => void seen.push(Date.now() - start), { workers: 1 });
    q.addAfter('k', 5_000);
    q.addAfter('k', 50);
    q.addAfter('k', 2_000);
    await until(() => seen.length === 1, 1000);
    expect(seen[0]).toBeLessThan(1000);
    q.stop();
  });

  it('processes a key added many times while waiting once', async () => {
    const seen: string[] = [];
    const q = new WorkQueue(async k => void seen.push(k), { workers: 1 });
    q.pause();
    for (let i = 0; i < 5; i++) q.add('a');
    q.add('b');
    expect(q.depth).toBe(2);
    q.resume();
    await q.idle();
    expect(seen).toEqual(['a', 'b']);
  });

  it('never processes one key on two workers at once, and reruns a key added during its processing', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    let release!: () => void;
    const q = new WorkQueue(
      async () => {
        running++;
        runs++;
        maxRunning = Math.max(maxRunning, running);
        if (runs === 1) await new Promise<void>(r => (release = r));
        running--;
      },
      { workers: 4 },
    );
    q.add('k');
    await until(() => runs === 1);
    q.add('k');
    q.add('k');
    expect(runs).toBe(1);
    release();
    await q.idle();
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
  });

  it('retries a failing key with exponential backoff and jitter up to the maximum delay, and forgets failures after success', async () => {
    const delays: number[] = [];
    let calls = 0;
    const q = new WorkQueue(
      async () => {
        calls++;
        if (calls <= 6) throw new Error('boom');
      },
      { baseDelayMs: 4, maxDelayMs: 40, jitter: 0.5, onRetry: (_k, _a, d) => delays.push(d) },
    );
    expect([1, 2, 3, 4, 5, 6].map(a => q.backoff(a))).toEqual([4, 8, 16, 32, 40, 40]);
    q.add('k');
    await until(() => calls === 7);
    await q.idle();
    expect(delays).toHaveLength(6);
    delays.forEach((d, i) => {
      const base = q.backoff(i + 1);
      expect(d).toBeGreaterThanOrEqual(base / 2);
      expect(d).toBeLessThanOrEqual(base);
    });
    expect(q.attempts('k')).toBe(0);
  });

  it('keeps other keys flowing while one key backs off', async () => {
    const done: string[] = [];
    const q = new WorkQueue(
      async k => {
        if (k === 'bad') throw new Error('no');
        done.push(k);
      },
      { baseDelayMs: 10_000, workers: 1 },
    );
    q.add('bad');
    q.add('good');
    await until(() => done.includes('good'));
    expect(q.attempts('bad')).toBe(1);
    expect(q.depth).toBe(1); // waiting for its retry
    q.stop();
    expect(q.depth).toBe(0);
  });

  it('requeues after the delay a handler asks for', async () => {
    let calls = 0;
    const q = new WorkQueue(async () => (++calls === 1 ? { requeueAfterMs: 10 } : undefined));
    q.add('k');
    await until(() => calls === 2);
    expect(calls).toBe(2);
    q.stop();
  });
});

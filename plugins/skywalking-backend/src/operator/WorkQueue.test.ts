import { WorkQueue } from './WorkQueue';

describe('WorkQueue', () => {
  it('queues a key once however often it is added', async () => {
    const seen: string[] = [];
    const q = new WorkQueue(async k => {
      seen.push(k);
      await new Promise(r => setTimeout(r, 10));
    }, { workers: 1 });
    q.add('busy'); // occupies the only worker while the others wait
    q.add('a'); q.add('a'); q.add('b'); q.add('a');
    await q.idle();
    expect(seen).toEqual(['busy', 'a', 'b']);
  });

  it('never processes one key concurrently, and reruns it when added meanwhile', async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    let runs = 0;
    const q = new WorkQueue(async () => {
      concurrent++; runs++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await new Promise(r => setTimeout(r, 30));
      concurrent--;
    }, { workers: 4 });
    q.add('k');
    await new Promise(r => setTimeout(r, 5));
    q.add('k'); q.add('k');
    await q.idle();
    expect(maxConcurrent).toBe(1);
    expect(runs).toBe(2);
  });

  it('retries failures with growing backoff until they succeed', async () => {
    const times: number[] = [];
    const retries: number[] = [];
    const q = new WorkQueue(async () => {
      times.push(Date.now());
      if (times.length < 4) throw new Error('boom');
    }, { baseDelayMs: 20, onRetry: (_k, attempt) => retries.push(attempt) });
    q.add('x');
    await q.idle(5000);
    expect(times).toHaveLength(4);
    expect(retries).toEqual([1, 2, 3]);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(gaps[2]).toBeGreaterThanOrEqual(40); // third retry waits at least half of 80 ms
  });
});

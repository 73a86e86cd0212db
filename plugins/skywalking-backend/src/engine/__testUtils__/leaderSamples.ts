/** Who thinks it leads, sampled over time: the evidence of the election tests. */
export interface LeaderSample {
  at: number;
  leaders: string[];
}

/** Samples `isLeader()` of every candidate every `everyMs` until stopped. */
export function sampleLeaders(candidates: { identity: string; isLeader(): boolean }[], everyMs = 10) {
  const samples: LeaderSample[] = [];
  const take = () => samples.push({ at: Date.now(), leaders: candidates.filter(c => c.isLeader()).map(c => c.identity) });
  take();
  const timer = setInterval(take, everyMs);
  return {
    samples,
    /** the samples in which more than one candidate led */
    overlaps: () => samples.filter(s => s.leaders.length > 1),
    /** the leaders seen in [from, to) */
    leadersBetween: (from: number, to: number) => new Set(samples.filter(s => s.at >= from && s.at < to).flatMap(s => s.leaders)),
    stop: () => {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

export async function until(what: string, check: () => boolean, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 20));
  }
}

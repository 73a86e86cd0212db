import { LineSplitter, SeenFilter } from './logFollower';

describe('LineSplitter', () => {
  it('gives whole lines, keeping an unfinished one for the next chunk', () => {
    const s = new LineSplitter();
    const out: string[] = [];
    s.push('a=1\nb=', l => out.push(l));
    expect(out).toEqual(['a=1']);
    s.push('2\r\n\nc=3\n', l => out.push(l));
    expect(out).toEqual(['a=1', 'b=2', 'c=3']);
  });
});

describe('SeenFilter', () => {
  it('passes each line once across a reopened stream that repeats its last second', () => {
    const f = new SeenFilter();
    const first = ['2026-12-02T14:32:40.100000000Z one', '2026-12-02T14:32:40.200000000Z two'];
    // reopened with sinceTime=…:40Z: the second is streamed again, then new lines
    const again = ['2026-12-02T14:32:40.100000000Z one', '2026-12-02T14:32:40.200000000Z two', '2026-12-02T14:32:40.300000000Z three'];
    const out = [...first, ...again].map(l => f.accept(l)).filter(Boolean);
    expect(out).toEqual(['one', 'two', 'three']);
    expect(f.accept('no kubelet timestamp')).toBeUndefined();
  });
});

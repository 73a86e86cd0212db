import { checkTracingSelector } from './selector';

describe('checkTracingSelector', () => {
  it.each(['app=orders', 'app==orders', 'backstage.io/kubernetes-id=shop', 'app=payments,tier=backend', 'app in (a,b)', 'app.kubernetes.io/name in (x), tier=web'])(
    'accepts %s (every requirement pins a value)',
    s => expect(checkTracingSelector(s)).toBeUndefined(),
  );

  it.each([
    ['', /is empty/],
    ['   ', /is empty/],
    ['app', /existence-only requirement "app"/],
    ['app=orders,tier', /existence-only requirement "tier"/],
    ['!x', /negates "!x"/],
    ['app=a,!canary', /negates "!canary"/],
    ['app!=x', /negates "app!=x" \(!=\)/],
    ['app notin (x)', /notin/],
    ['app=', /empty value/],
    ['app=a,,b=c', /empty requirement/],
    ['app=$(x)', /not a label value/],
    ['a'.repeat(1100), /longer than 1024/],
  ])('refuses %j', (s, why) => expect(checkTracingSelector(s)).toMatch(why));
});

import { parseAdmissionReview, review, MAX_ADMISSION_BODY_BYTES } from './admission';

const podReview = (over: Record<string, unknown> = {}) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'u-1',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    namespace: 'shop',
    operation: 'CREATE',
    object: { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'x' }] } },
    ...over,
  },
});

describe('parseAdmissionReview', () => {
  it.each([
    ['not json', '{oops', 400, /not JSON/],
    ['an array', '[]', 400, /JSON object/],
    ['a wrong kind', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'Pod' }), 400, /expected kind AdmissionReview, got "Pod"/],
    ['v1beta1', JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} }), 400, /unsupported apiVersion/],
    ['no request', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), 400, /has no request/],
    ['no uid', JSON.stringify({ ...podReview(), request: { ...podReview().request, uid: '' } }), 400, /uid is missing/],
  ])('refuses %s with a message that names the problem', (_name, body, status, message) => {
    expect(parseAdmissionReview(body)).toEqual({ ok: false, status, message: expect.stringMatching(message) });
  });

  it('refuses an oversized body with 413 before parsing it', () => {
    const r = parseAdmissionReview(Buffer.alloc(MAX_ADMISSION_BODY_BYTES + 1, 0x20));
    expect(r).toMatchObject({ ok: false, status: 413 });
  });

  it('accepts a well-formed pod review', () => {
    const r = parseAdmissionReview(JSON.stringify(podReview()));
    expect(r).toMatchObject({ ok: true, request: { uid: 'u-1', namespace: 'shop' } });
  });
});

describe('review', () => {
  const patch = [{ op: 'add', path: '/metadata/labels', value: { injected: 'yes' } }];

  it('returns the mutation as a base64 JSONPatch with the request uid', async () => {
    const r = await review(podReview().request as any, () => ({ patch }));
    expect(r.injected).toBe(true);
    expect(r.review.response).toMatchObject({ uid: 'u-1', allowed: true, patchType: 'JSONPatch' });
    expect(JSON.parse(Buffer.from((r.review.response as any).patch, 'base64').toString())).toEqual(patch);
  });

  it('allows other kinds and operations unchanged without calling the mutator', async () => {
    const mutate = jest.fn(() => ({ patch }));
    const r1 = await review({ ...podReview().request, kind: { group: 'apps', version: 'v1', kind: 'Deployment' } } as any, mutate);
    const r2 = await review({ ...podReview().request, operation: 'UPDATE' } as any, mutate);
    expect(mutate).not.toHaveBeenCalled();
    for (const r of [r1, r2]) {
      expect(r.review.response).toEqual({ uid: 'u-1', allowed: true });
    }
  });

  it('allows the pod unchanged with a warning when the mutation fails', async () => {
    const r = await review(podReview().request as any, () => {
      throw new Error('annotation agent.skywalking.apache.org/x is invalid');
    });
    expect(r.review.response).toMatchObject({ allowed: true, warnings: [expect.stringMatching(/is invalid/)] });
    expect((r.review.response as any).patch).toBeUndefined();
    expect(r.error).toMatch(/invalid/);
  });
});

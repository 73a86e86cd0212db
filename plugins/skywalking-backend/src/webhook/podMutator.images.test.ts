import { DEFAULT_ALLOWED_IMAGES, DEFAULT_AGENT_IMAGE } from '@skywalking-backstage/plugin-skywalking-common';
import { createAdmissionMutator } from './podMutator';

/*
 * The admission mutator with the portal's image allowlist (plugin.ts passes
 * skywalking.allowedImages to the worker threads): a pod annotation naming
 * another agent image gets no agent and a warning saying why.
 */
const pod = (annotations: Record<string, string> = {}) => ({
  metadata: { name: 'shop', namespace: 'shop', labels: { 'swck-java-agent-injected': 'true' }, annotations },
  spec: { containers: [{ name: 'app', image: 'shop:1' }] },
});

describe('admission mutator image allowlist', () => {
  const mutate = createAdmissionMutator({ allowedImages: DEFAULT_ALLOWED_IMAGES });

  it('injects the default agent image', async () => {
    const r = await mutate(pod() as any);
    expect(JSON.stringify(r.patch)).toContain(DEFAULT_AGENT_IMAGE);
  });

  it('injects nothing for an annotated image outside the allowlist, and warns', async () => {
    const r = await mutate(pod({ 'sidecar.skywalking.apache.org/initcontainer.Image': 'evil.example.com/agent:1' }) as any);
    expect(r.patch).toEqual([]);
    expect(r.warnings).toEqual(expect.arrayContaining([expect.stringContaining('"evil.example.com/agent:1" is not an allowed agent image')]));
  });
});

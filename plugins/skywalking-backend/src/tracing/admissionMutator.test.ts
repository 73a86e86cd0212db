import { AGENT_CA_CONFIGMAP_ANNOTATION } from '@skywalking-backstage/plugin-skywalking-common';
import { review } from '../webhook/admission';
import { admissionMutator, COLLECTOR_ANNOTATION, SERVICE_NAME_ANNOTATION } from './admissionMutator';

const pod = (labels: Record<string, string>, annotations: Record<string, string>, containers = [{ name: 'app', image: 'shop:1' }]) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { generateName: 'shop-', labels, annotations },
  spec: { containers },
});

const applyPatch = (obj: any, patch: any[]) => {
  // the ops injectAgent emits are adds/replaces on existing parents; enough for these checks
  const out = JSON.parse(JSON.stringify(obj));
  for (const op of patch) {
    const parts = op.path.split('/').slice(1).map((p: string) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop();
    const parent = parts.reduce((o: any, k: string) => o[k], out);
    if (op.op === 'remove') delete parent[last];
    else if (Array.isArray(parent) && last === '-') parent.push(op.value);
    else parent[last] = op.value;
  }
  return out;
};

describe('admissionMutator', () => {
  it('injects an opted-in pod with the service name and collector from its own annotations', async () => {
    const input = pod({ 'swck-java-agent-injected': 'true' }, { [SERVICE_NAME_ANNOTATION]: 'shop', [COLLECTOR_ANNOTATION]: 'demo-oap.sw:11800' });
    const r = await admissionMutator(input, {} as any);
    const out = applyPatch(input, r.patch);
    expect(out.spec.initContainers[0]).toMatchObject({ name: 'inject-skywalking-agent', image: 'apache/skywalking-java-agent:9.3.0-java17' });
    const env = Object.fromEntries(out.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env.JAVA_TOOL_OPTIONS).toMatch(/^-javaagent:\/sky\/agent\/skywalking-agent\.jar/);
    expect(env).toMatchObject({ SW_AGENT_NAME: 'shop', SW_AGENT_COLLECTOR_BACKEND_SERVICES: 'demo-oap.sw:11800' });
    expect(r.warnings).toEqual([]);
  });

  it('leaves a pod without the opt-in label alone', async () => {
    const r = await admissionMutator(pod({}, { [COLLECTOR_ANNOTATION]: 'x:11800' }), {} as any);
    expect(r.patch).toEqual([]);
  });

  it('never touches a service-mesh sidecar', async () => {
    const input = pod({ 'swck-java-agent-injected': 'true' }, {}, [
      { name: 'app', image: 'shop:1' },
      { name: 'istio-proxy', image: 'proxyv2' },
    ]);
    const out = applyPatch(input, (await admissionMutator(input, {} as any)).patch);
    expect(out.spec.containers[1]).toEqual({ name: 'istio-proxy', image: 'proxyv2' });
    expect(out.spec.containers[0].env).toBeDefined();
  });

  it('reports an invalid collector annotation as an admission warning and injects the rest', async () => {
    const input = pod({ 'swck-java-agent-injected': 'true' }, { [COLLECTOR_ANNOTATION]: 'not a host;rm -rf' });
    const r = await admissionMutator(input, {} as any);
    expect(r.patch.length).toBeGreaterThan(0);
    expect(r.warnings!.join('\n')).toMatch(/collector/);
  });

  it('mounts the backend CA named by the annotation into the agent ca/ directory (TLS), through an AdmissionReview', async () => {
    const input = pod(
      { 'swck-java-agent-injected': 'true' },
      { [SERVICE_NAME_ANNOTATION]: 'shop', [COLLECTOR_ANNOTATION]: 'demo-oap.sw:11800', [AGENT_CA_CONFIGMAP_ANNOTATION]: 'skywalking-ca-demo' },
    );
    const request = { uid: 'u1', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace: 'shop', object: input };
    const { review: answer, injected } = await review(request, admissionMutator);
    expect(injected).toBe(true);
    const patch = JSON.parse(Buffer.from((answer.response as { patch?: string }).patch!, 'base64').toString());
    const out = applyPatch(input, patch);
    expect(out.spec.volumes).toContainEqual({ name: 'sky-agent-ca', configMap: { name: 'skywalking-ca-demo', items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    expect(out.spec.containers[0].volumeMounts).toEqual([
      { name: 'sky-agent', mountPath: '/sky/agent' },
      { name: 'sky-agent-ca', mountPath: '/sky/agent/ca', readOnly: true },
    ]);
    // without the annotation (no TLS), no CA
    const plain = applyPatch(input, (await admissionMutator(pod({ 'swck-java-agent-injected': 'true' }, {}), {} as any)).patch);
    expect(plain.spec.volumes ?? []).not.toContainEqual(expect.objectContaining({ name: 'sky-agent-ca' }));
  });
});

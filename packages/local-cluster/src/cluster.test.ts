import https from 'node:https';
import { AddressInfo } from 'node:net';
import type * as K8s from '@kubernetes/client-node';
import { createCertificateAuthority } from './pki';
import { loadK8s } from './k8s';
import { createTestNamespace, eventually, getSharedTestCluster } from './testing';

jest.setTimeout(120_000);

let k8s: typeof K8s;
let kc: K8s.KubeConfig;
let ns: string;

beforeAll(async () => {
  const cluster = await getSharedTestCluster();
  k8s = await loadK8s();
  kc = new k8s.KubeConfig();
  kc.loadFromString(cluster.kubeconfig);
  ns = await createTestNamespace('local-cluster');
});

const deployment = (name: string, replicas: number, labels: Record<string, string> = {}): K8s.V1Deployment => ({
  metadata: { name, labels: { app: name, ...labels } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name, ...labels } },
      spec: { containers: [{ name: 'app', image: 'example/app:1' }] },
    },
  },
});

describe('local control plane', () => {
  it('runs the control plane components that report healthy', async () => {
    const version = await kc.makeApiClient(k8s.VersionApi).getCode();
    expect(version.gitVersion).toMatch(/^v1\.36\./);
    const nodes = await kc.makeApiClient(k8s.CoreV1Api).listNode();
    expect(nodes.items.length).toBeGreaterThanOrEqual(3);
    for (const n of nodes.items) {
      expect(n.status?.conditions?.find(c => c.type === 'Ready')?.status).toBe('True');
    }
    // KWOK heartbeats through node Leases, as kubelet does
    const leases = await kc.makeApiClient(k8s.CoordinationV1Api).listNamespacedLease({ namespace: 'kube-node-lease' });
    for (const n of nodes.items) {
      const renewed = leases.items.find(l => l.metadata?.name === n.metadata?.name)?.spec?.renewTime;
      expect(Date.now() - new Date(renewed ?? 0).getTime()).toBeLessThan(60_000);
    }
  });

  it('schedules a Deployment onto KWOK nodes and its pods become Running and Ready with IPs', async () => {
    await kc.makeApiClient(k8s.AppsV1Api).createNamespacedDeployment({ namespace: ns, body: deployment('web', 3) });
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const pods = await eventually('3 ready pods', async () => {
      const list = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
      const ready = list.items.filter(
        p => p.status?.phase === 'Running' && p.status.conditions?.some(c => c.type === 'Ready' && c.status === 'True'),
      );
      return ready.length === 3 ? ready : undefined;
    }, 60_000);
    for (const p of pods) {
      expect(p.spec?.nodeName).toMatch(/^kwok-node-/);
      expect(p.status?.podIP).toMatch(/^10\.244\./);
    }
    const d = await eventually('available replicas', async () => {
      const x = await kc.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: ns });
      return x.status?.availableReplicas === 3 ? x : undefined;
    });
    expect(d.status?.readyReplicas).toBe(3);
  });

  it('garbage-collects ReplicaSets and pods when their owning Deployment is deleted', async () => {
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('gc', 2) });
    await eventually('replicaset and pods', async () => {
      const rs = await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=gc' });
      const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=gc' });
      return rs.items.length === 1 && pods.items.length === 2;
    });
    await apps.deleteNamespacedDeployment({ name: 'gc', namespace: ns, propagationPolicy: 'Background' });
    const collected = await eventually('garbage collection', async () => {
      const rs = await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=gc' });
      const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=gc' });
      return rs.items.length === 0 && pods.items.length === 0;
    }, 60_000);
    expect(collected).toBe(true);
  });

  it('serves a CRD with a status subresource for custom objects', async () => {
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    const group = `${ns}.test.skywalking.apache.org`;
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: `widgets.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: { type: 'object', properties: { size: { type: 'integer' } } },
                    status: { type: 'object', properties: { ready: { type: 'boolean' } } },
                  },
                },
              },
            },
          ],
        },
      },
    });
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const created: any = await eventually('CRD established', async () =>
      custom.createNamespacedCustomObject({
        group, version: 'v1', namespace: ns, plural: 'widgets',
        body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w' }, spec: { size: 3 }, status: { ready: true } },
      }),
    );
    // status is ignored on create: it has its own subresource
    expect(created.status).toBeUndefined();
    const patched: any = await custom.patchNamespacedCustomObjectStatus(
      { group, version: 'v1', namespace: ns, plural: 'widgets', name: 'w', body: [{ op: 'add', path: '/status', value: { ready: true } }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    expect(patched.status).toEqual({ ready: true });
    expect(patched.spec).toEqual({ size: 3 });
    await ext.deleteCustomResourceDefinition({ name: `widgets.${group}` });
  });

  it('calls a MutatingWebhookConfiguration on a loopback HTTPS server on pod creation', async () => {
    const ca = createCertificateAuthority('webhook-test-ca');
    const serving = ca.issue({ commonName: 'webhook', ips: ['127.0.0.1'], dnsNames: ['localhost'], server: true });
    const seen: string[] = [];
    const server = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      let body = '';
      req.on('data', c => (body += c));
      req.on('end', () => {
        const review = JSON.parse(body);
        seen.push(review.request.object.metadata.name ?? review.request.object.metadata.generateName);
        const patch = [{ op: 'add', path: '/metadata/labels/webhook-saw-me', value: 'yes' }];
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: { uid: review.request.uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') },
        }));
      });
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const adm = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
    const name = `test-${ns}`;
    try {
      await adm.createMutatingWebhookConfiguration({
        body: {
          metadata: { name },
          webhooks: [{
            name: 'test.skywalking.apache.org',
            admissionReviewVersions: ['v1'],
            sideEffects: 'None',
            failurePolicy: 'Fail',
            clientConfig: { url: `https://127.0.0.1:${port}/mutate`, caBundle: Buffer.from(ca.certPem).toString('base64') },
            rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
          }],
        },
      });
      const core = kc.makeApiClient(k8s.CoreV1Api);
      // the webhook configuration takes effect within a moment: retry creation until the label shows
      const pod = await eventually('mutated pod', async () => {
        const podName = `hooked-${Date.now()}`;
        const p = await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: podName, labels: { app: 'hooked' } }, spec: { containers: [{ name: 'app', image: 'x' }] } } });
        return p.metadata?.labels?.['webhook-saw-me'] === 'yes' ? p : undefined;
      }, 30_000, 500);
      expect(seen).toContain(pod.metadata!.name);
    } finally {
      await adm.deleteMutatingWebhookConfiguration({ name }).catch(() => undefined);
      server.close();
    }
  });
});

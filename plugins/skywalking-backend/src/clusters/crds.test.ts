import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { eventually, getSharedTestCluster, createTestNamespace } from '@internal/local-cluster';
import { loadK8s } from './k8s';
import { ensureSwckCrds, loadSwckCrds } from './crds';

jest.setTimeout(120_000);

describe('SWCK CRDs', () => {
  it('ships all ten SWCK kinds in operator.skywalking.apache.org/v1alpha1 with status subresources', () => {
    const crds = loadSwckCrds();
    expect(crds.map(c => c.spec.names.kind).sort()).toEqual(
      ['BanyanDB', 'Fetcher', 'JavaAgent', 'OAPServer', 'OAPServerConfig', 'OAPServerDynamicConfig', 'Satellite', 'Storage', 'SwAgent', 'UI'],
    );
    for (const c of crds) {
      expect(c.spec.group).toBe('operator.skywalking.apache.org');
      const v = c.spec.versions.find((x: any) => x.name === 'v1alpha1');
      expect(v?.served).toBe(true);
      expect(v?.subresources?.status).toEqual({});
    }
  });

  it('installs missing CRDs, leaves existing ones alone, and SWCK sample manifests apply unchanged', async () => {
    const cluster = await getSharedTestCluster();
    const k8s = await loadK8s();
    const kc = new k8s.KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
    const first = await ensureSwckCrds(kc);
    expect(first.failed).toEqual([]);
    expect(first.created.length + first.present.length).toBe(10);
    const second = await ensureSwckCrds(kc);
    expect(second).toEqual({ created: [], present: expect.arrayContaining(first.created), failed: [] });

    const client = k8s.KubernetesObjectApi.makeApiClient(kc);
    const dir = path.join(__dirname, '__fixtures__', 'swck-samples');
    let applied = 0;
    const namespaces: Record<string, string> = {};
    for (const file of fs.readdirSync(dir)) {
      // the samples reuse names such as "default": one namespace per file
      const ns = await createTestNamespace(`swck-${file.replace('.yaml', '')}`);
      namespaces[file] = ns;
      for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'))) {
        const obj = doc.toJSON();
        if (!obj) continue;
        obj.metadata.namespace = ns;
        // CRDs become servable a moment after creation
        await eventually(`${file} ${obj.kind}`, async () => client.create(obj));
        applied++;
      }
    }
    expect(applied).toBeGreaterThanOrEqual(10);
    const oaps: any = await kc.makeApiClient(k8s.CustomObjectsApi).listNamespacedCustomObject({
      group: 'operator.skywalking.apache.org', version: 'v1alpha1', namespace: namespaces['default.yaml'], plural: 'oapservers',
    });
    expect(oaps.items.map((o: any) => o.metadata.name)).toEqual(['default']);
  });
});

// The app-config fragments the demo and the e2e generate for several clusters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeClusterConfigs } from './cluster-bootstrap.mjs';
import { demoBackendSpec, extraClustersConfig } from './real-skywalking.mjs';

const part = (name, oapUrl) => ({
  kubernetes: { serviceLocatorMethod: { type: 'multiTenant' }, clusterLocatorMethods: [{ type: 'config', clusters: [{ name, url: `https://127.0.0.1/${name}` }] }] },
  ...(oapUrl ? { skywalking: { clusters: { [name]: { oapUrl } } } } : {}),
});

test('merging cluster fragments keeps every cluster and each one\'s OAP URL (Backstage would replace the arrays)', () => {
  const merged = mergeClusterConfigs([part('local', 'http://127.0.0.1:1'), part('real')]);
  assert.deepEqual(merged.kubernetes.clusterLocatorMethods[0].clusters.map(c => c.name), ['local', 'real']);
  assert.deepEqual(merged.skywalking, { clusters: { local: { oapUrl: 'http://127.0.0.1:1' } } });
});

test('a cluster configured twice is refused by name', () => {
  assert.throws(() => mergeClusterConfigs([part('local'), part('local')]), /cluster local is configured twice/);
});

test('the extra-cluster fragment maps the guests to the new cluster and repeats the base catalog locations before the new file', () => {
  const base = {
    catalog: { locations: [{ type: 'file', target: '../../examples/entities.yaml' }] },
    skywalking: {
      tenancy: {
        namespaceOwner: true,
        mappings: [
          { owners: ['group:default/guests'], clusters: ['local'], namespaces: ['shop'] },
          { owners: ['group:default/platform'], clusters: ['*'], namespaces: ['*'] },
        ],
      },
    },
  };
  const extra = extraClustersConfig(base, { guestClusters: ['real'], catalogFiles: [new URL('../../e2e/catalog/real-shop.yaml', import.meta.url).pathname] });
  assert.deepEqual(extra.skywalking.tenancy.mappings[0].clusters, ['local', 'real']);
  assert.deepEqual(extra.skywalking.tenancy.mappings[1].clusters, ['*']);
  assert.equal(extra.skywalking.tenancy.namespaceOwner, true);
  assert.deepEqual(extra.catalog.locations.map(l => l.target), ['../../examples/entities.yaml', '../../e2e/catalog/real-shop.yaml']);
  // the base is not changed
  assert.deepEqual(base.skywalking.tenancy.mappings[0].clusters, ['local']);
});

test('the demo backend is real OAP 10.1.0 on the demo PostgreSQL the storage manifest creates, without the UI', () => {
  const spec = demoBackendSpec('local');
  assert.equal(spec.version, '10.1.0');
  assert.deepEqual(spec.storage, { type: 'postgresql', external: { address: 'postgresql.databases:5432', database: 'skywalking', secretName: 'skywalking-storage' } });
  assert.equal(spec.ui.enabled, false);
});

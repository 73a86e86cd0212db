import path from 'node:path';
import { ConfigReader } from '@backstage/config';
import { loadConfig } from '@backstage/config-loader';
import { decideTenancy, readTenancyConfig } from '@skywalking-backstage/plugin-skywalking-common';

/*
 * The demo portal's skywalking.tenancy (app-config.yaml), as the plugin reads
 * it: the guest (group guests) may act in the shop and skywalking namespaces
 * of the local cluster the e2e tests use, nowhere else; platform everywhere.
 */
const root = path.resolve(__dirname, '../../..');

async function tenancy() {
  const { appConfigs } = await loadConfig({ configRoot: root, configTargets: [{ path: path.join(root, 'app-config.yaml') }] });
  const raw = ConfigReader.fromConfigs(appConfigs).getOptional('skywalking.tenancy');
  const { config, errors } = readTenancyConfig(raw);
  return { config, errors };
}

describe("the demo portal's tenancy mapping", () => {
  it('is valid and keeps the guest to the demo namespaces of the local cluster', async () => {
    const { config, errors } = await tenancy();
    expect(errors).toEqual([]);
    const guest = ['user:default/guest', 'group:default/guests'];
    expect(decideTenancy(config, guest, 'local', 'shop').allowed).toBe(true);
    expect(decideTenancy(config, guest, 'local', 'skywalking').allowed).toBe(true);
    expect(decideTenancy(config, guest, 'local', 'kube-system')).toMatchObject({ allowed: false, reason: expect.stringContaining('namespace kube-system in cluster local is not mapped') });
    expect(decideTenancy(config, guest, 'prod', 'shop').allowed).toBe(false);
    expect(decideTenancy(config, ['group:default/platform'], 'prod', 'kube-system').allowed).toBe(true);
  });
});

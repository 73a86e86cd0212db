import { CustomObject } from '@skywalking-backstage/plugin-skywalking-common';
import { CacheView, renderOAPServerWithConfig } from './kinds';
import { UI_TEMPLATES_INIT_CONTAINER, UI_TEMPLATES_SCRIPT } from './uiTemplates';

const cache: CacheView = { list: () => [], get: () => undefined };
const oap = (config: { name: string; value?: string; valueFrom?: unknown }[]): CustomObject => ({
  apiVersion: 'operator.skywalking.apache.org/v1alpha1',
  kind: 'OAPServer',
  metadata: { name: 'b', namespace: 'ns', uid: 'u1' },
  spec: { version: '10.1.0', instances: 1, image: 'apache/skywalking-oap-server:10.1.0', config },
});
const pg = [
  { name: 'SW_STORAGE', value: 'postgresql' },
  { name: 'SW_JDBC_URL', value: 'jdbc:postgresql://pg:5432/oap' },
  { name: 'SW_DATA_SOURCE_USER', valueFrom: { secretKeyRef: { name: 'pg', key: 'username' } } },
  { name: 'SW_DATA_SOURCE_PASSWORD', valueFrom: { secretKeyRef: { name: 'pg', key: 'password' } } },
];
const podOf = (cr: CustomObject) => renderOAPServerWithConfig(cr, cache).find(o => o.kind === 'Deployment')!.spec.template.spec;

describe('stored UI templates a new OAP version would refuse to start on', () => {
  it('are checked before OAP starts on JDBC storage: the OAP image, its JDBC env and credentials, Groovy from OAP\'s libraries', () => {
    const pod = podOf(oap(pg));
    const init = pod.initContainers.find((c: any) => c.name === UI_TEMPLATES_INIT_CONTAINER);
    expect(init.image).toBe('apache/skywalking-oap-server:10.1.0');
    expect(init.command.slice(-3)).toEqual(['groovy.ui.GroovyMain', '-e', UI_TEMPLATES_SCRIPT]);
    expect(init.command).toContain('/skywalking/oap-libs/*:/skywalking/ext-libs/*');
    expect(init.env).toEqual(expect.arrayContaining(pg));
    // the main container's heap setting is not the init container's
    expect(init.env.some((e: any) => e.name === 'JAVA_OPTS')).toBe(false);
  });

  it('disable (not delete) only enabled stored templates whose layer_entity_name the version bundles under another id, and never fail the pod', () => {
    expect(UI_TEMPLATES_SCRIPT).toContain("SELECT id, configuration FROM ui_template WHERE disabled = 0");
    expect(UI_TEMPLATES_SCRIPT).toContain("UPDATE ui_template SET disabled = 1 WHERE id = ?");
    expect(UI_TEMPLATES_SCRIPT).toContain("bundled[k] != null && bundled[k] != id");
    expect(UI_TEMPLATES_SCRIPT).not.toMatch(/DELETE|System\.exit/);
    expect(UI_TEMPLATES_SCRIPT).toContain('} catch (Exception e) {');
  });

  it('are not touched for other storages (BanyanDB, Elasticsearch, H2)', () => {
    for (const storage of ['banyandb', 'elasticsearch', undefined]) {
      const pod = podOf(oap(storage ? [{ name: 'SW_STORAGE', value: storage }] : []));
      expect((pod.initContainers ?? []).some((c: any) => c.name === UI_TEMPLATES_INIT_CONTAINER)).toBe(false);
    }
  });
});

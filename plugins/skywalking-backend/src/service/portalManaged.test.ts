import { K8s } from '../clusters/k8s';
import { OperatorEngine } from '../engine/OperatorEngine';
import { SWCK_API_VERSION, SWCK_GROUP, SWCK_VERSION } from '../engine/kinds';
import { startTestOperator } from '../__testUtils__/testOperator';
import { BackendService } from './BackendService';
import { BackupService } from './BackupService';
import { quietLogger } from './testOutbox';

/*
 * Writes through the portal act on the portal's own backends only: an
 * OAPServer created in the cluster directly (no managed-by label) is refused
 * with a 409 naming the label, and left as it was, until it is adopted by
 * labelling it.
 */
jest.setTimeout(180_000);

const CLUSTER = 'local';
const ACTOR = 'user:default/tester';
const NAME = 'foreign';

let k8s: typeof K8s;
let admin: K8s.KubeConfig;
let ns: string;
let backends: BackendService;
let backups: BackupService;
let engine: OperatorEngine;

const ref = () => ({ cluster: CLUSTER, namespace: ns, name: NAME });
const custom = () => admin.makeApiClient(k8s.CustomObjectsApi);
const readOap = () => custom().getNamespacedCustomObject({ group: SWCK_GROUP, version: SWCK_VERSION, namespace: ns, plural: 'oapservers', name: NAME }) as Promise<any>;
/** What a write would change: the spec, labels and annotations (status is the engine's). */
const writable = (o: any) => ({ spec: o.spec, labels: o.metadata.labels, annotations: o.metadata.annotations, deleting: Boolean(o.metadata.deletionTimestamp) });

beforeAll(async () => {
  const t = await startTestOperator('portal-managed');
  ({ k8s, admin, ns, backends, engine } = t);
  backups = new BackupService({ clusters: t.registry, backends, logger: quietLogger });
  // an OAPServer someone applied by hand: PostgreSQL storage, so backup and restore reach the managed-by check
  await custom().createNamespacedCustomObject({
    group: SWCK_GROUP,
    version: SWCK_VERSION,
    namespace: ns,
    plural: 'oapservers',
    body: {
      apiVersion: SWCK_API_VERSION,
      kind: 'OAPServer',
      metadata: { name: NAME, namespace: ns, labels: { team: 'other' } },
      spec: {
        version: '10.2.0',
        instances: 1,
        image: 'apache/skywalking-oap-server:10.2.0',
        config: [
          { name: 'SW_STORAGE', value: 'postgresql' },
          { name: 'SW_JDBC_URL', value: 'jdbc:postgresql://pg:5432/skywalking' },
        ],
      },
    },
  });
});

afterAll(async () => {
  await engine?.stop();
});

describe('writes to an OAPServer the portal did not create', () => {
  it('refuses scale, update, pause, resume, upgrade, delete, create, backup and restore with a 409 naming the label, and changes nothing', async () => {
    const before = writable(await readOap());
    const attempts: Record<string, () => Promise<unknown>> = {
      scale: () => backends.scale(ref(), 3, ACTOR),
      update: () => backends.update(ref(), { ...ref(), version: '10.2.0', oap: { replicas: 2 } }, ACTOR),
      pause: () => backends.pause(ref(), ACTOR),
      resume: () => backends.resume(ref(), ACTOR),
      upgrade: () => backends.upgrade(ref(), '10.3.0', ACTOR),
      delete: () => backends.delete(ref(), ACTOR),
      create: () => backends.create({ ...ref(), version: '10.2.0' }, ACTOR),
      backup: () => backups.startBackup(ref(), {}, ACTOR),
      restore: () => backups.restore(ref(), { backup: 'foreign-snap-1' } as any, ACTOR),
    };
    for (const [what, attempt] of Object.entries(attempts)) {
      const error: any = await attempt().then(
        () => new Error(`${what} was not refused`),
        e => e,
      );
      expect({ what, name: error.name }).toEqual({ what, name: 'ConflictError' });
      expect(error.message).toContain(`OAPServer ${ns}/${NAME} in cluster ${CLUSTER} is not managed by this portal`);
      expect(error.message).toContain('app.kubernetes.io/managed-by=skywalking-backstage');
    }
    expect(writable(await readOap())).toEqual(before);
    expect(before.spec.instances).toBe(1);
  });

  it('acts on it once adopted by the managed-by label', async () => {
    await custom().patchNamespacedCustomObject(
      { group: SWCK_GROUP, version: SWCK_VERSION, namespace: ns, plural: 'oapservers', name: NAME, body: { metadata: { labels: { 'app.kubernetes.io/managed-by': 'skywalking-backstage' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(await backends.scale(ref(), 3, ACTOR)).toEqual({ applied: true, queued: false });
    expect((await readOap()).spec.instances).toBe(3);
  });
});

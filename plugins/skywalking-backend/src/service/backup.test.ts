import { eventually } from '@internal/local-cluster';
import { K8s } from '../clusters/k8s';
import { OperatorEngine } from '../engine/OperatorEngine';
import { BackendService } from './BackendService';
import { BackupService } from './BackupService';
import { quietLogger as logger } from './testOutbox';
import { startTestOperator } from '../__testUtils__/testOperator';

/*
 * Backup and restore on the local control plane (KWOK nodes): the engine
 * renders the sidecar and the restore init container, the Job controller
 * runs the backup Job (KWOK completes its pod), the restore's pod status
 * gives the Restored condition. KWOK runs no containers, so what the tools
 * do inside is BanyanDB's; what is checked here is that they are called with
 * the right flags, volumes and nodes.
 */

jest.setTimeout(240_000);

const CLUSTER = 'local';

let k8s: typeof K8s;
let admin: K8s.KubeConfig;
let ns: string;
let backends: BackendService;
let backups: BackupService;
let engine: OperatorEngine;

const ref = (name = 'demo') => ({ cluster: CLUSTER, namespace: ns, name });
const apps = () => admin.makeApiClient(k8s.AppsV1Api);
const core = () => admin.makeApiClient(k8s.CoreV1Api);
const batch = () => admin.makeApiClient(k8s.BatchV1Api);

/** A hostPath PV bound in advance to one claim, so the claim binds without a provisioner. */
async function volumeFor(claim: string) {
  await core().createPersistentVolume({
    body: {
      metadata: { name: `${ns}-${claim}` },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: '',
        hostPath: { path: `/tmp/${ns}/${claim}` },
        claimRef: { namespace: ns, name: claim },
      },
    },
  });
}

async function bannyPodRunning(name: string) {
  return eventually(
    `${name}-banyandb-0 Running`,
    async () => {
      const p = await core().readNamespacedPod({ namespace: ns, name: `${name}-banyandb-0` });
      return p.status?.phase === 'Running' && p;
    },
    90_000,
  );
}

beforeAll(async () => {
  const t = await startTestOperator('backup');
  ({ k8s, admin, ns, backends, engine } = t);
  backups = new BackupService({ clusters: t.registry, backends, logger });
  // the backup target and the data volumes of both backends
  for (const claim of ['data-demo-banyandb-0', 'data-restored-banyandb-0', 'skywalking-backups']) await volumeFor(claim);
  await core().createNamespacedPersistentVolumeClaim({
    namespace: ns,
    body: {
      metadata: { name: 'skywalking-backups' },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: '', resources: { requests: { storage: '1Gi' } } },
    },
  });
});

afterAll(async () => {
  await engine?.stop();
  for (const claim of ['data-demo-banyandb-0', 'data-restored-banyandb-0', 'skywalking-backups']) {
    await core()
      .deletePersistentVolume({ name: `${ns}-${claim}` })
      .catch(() => undefined);
  }
});

describe('BanyanDB backup and restore on the local control plane', () => {
  let backupDir: string;

  it('runs a scheduled backup as a sidecar of the BanyanDB pod with the tool\'s flags, and reads the backup spec back', async () => {
    const backup = { schedule: '@every 6h', target: { pvc: { claimName: 'skywalking-backups' } } };
    await eventually('backend created', async () =>
      (
        await backends.create(
          { name: 'demo', namespace: ns, cluster: CLUSTER, version: '10.2.0', ui: { enabled: false }, storage: { type: 'banyandb', banyandb: { version: '0.9.0', storageSize: '1Gi', backup } } },
          'user:default/tester',
        )
      ).applied,
    );
    const sts = await eventually(
      'BanyanDB StatefulSet with the backup sidecar',
      async () => {
        const s = await apps().readNamespacedStatefulSet({ namespace: ns, name: 'demo-banyandb' });
        return s.spec!.template.spec!.containers.some(c => c.name === 'backup') && s;
      },
      60_000,
    );
    const pod = sts.spec!.template.spec!;
    const sidecar = pod.containers.find(c => c.name === 'backup')!;
    expect(sidecar.image).toBe('apache/skywalking-banyandb:0.9.0');
    expect(sidecar.command).toEqual([
      '/backup',
      '--grpc-addr=127.0.0.1:17912',
      '--stream-root-path=/tmp',
      '--measure-root-path=/tmp',
      '--property-root-path=/tmp',
      '--trace-root-path=/tmp',
      '--dest=file:///backups/demo',
      '--time-style=daily',
      '--schedule=@every 6h',
    ]);
    // the same data volume as the data node (the StatefulSet's claim), the target PVC at /backups
    expect(sidecar.volumeMounts).toEqual([
      { name: 'data', mountPath: '/tmp' },
      { name: 'backup-target', mountPath: '/backups' },
    ]);
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'data', mountPath: '/tmp' }]);
    expect(pod.volumes).toEqual([{ name: 'backup-target', persistentVolumeClaim: { claimName: 'skywalking-backups' } }]);

    const detail = await backends.get(ref());
    expect((detail.spec.banyandb as any).backup).toEqual(backup);
    await bannyPodRunning('demo');
  });

  it('backs up on demand: a Job on the data node\'s node with its volume, Complete, listed as Succeeded', async () => {
    const run = await backups.startBackup(ref(), {}, 'user:default/tester');
    expect(run).toMatchObject({ target: 'file:///backups/demo', requestedBy: 'user:default/tester' });
    expect(run.backup).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    backupDir = run.backup!;

    const job = await batch().readNamespacedJob({ namespace: ns, name: run.name });
    const dbPod = await core().readNamespacedPod({ namespace: ns, name: 'demo-banyandb-0' });
    const podSpec = job.spec!.template.spec!;
    expect(podSpec.nodeName).toBe(dbPod.spec!.nodeName);
    expect(podSpec.containers[0].command).toEqual(expect.arrayContaining(['/backup', `--grpc-addr=demo-banyandb-grpc.${ns}:17912`, '--dest=file:///backups/demo']));
    expect(podSpec.volumes).toEqual([
      { name: 'data', persistentVolumeClaim: { claimName: 'data-demo-banyandb-0' } },
      { name: 'backup-target', persistentVolumeClaim: { claimName: 'skywalking-backups' } },
    ]);
    const db: any = await admin.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({
      group: 'operator.skywalking.apache.org',
      version: 'v1alpha1',
      namespace: ns,
      plural: 'banyandbs',
      name: 'demo',
    });
    expect(job.metadata!.ownerReferences).toEqual([expect.objectContaining({ kind: 'BanyanDB', name: 'demo', uid: db.metadata.uid })]);

    await eventually(
      'backup Job Complete',
      async () => {
        const j = await batch().readNamespacedJob({ namespace: ns, name: run.name });
        return (j.status?.conditions ?? []).some(c => c.type === 'Complete' && c.status === 'True');
      },
      90_000,
    );
    const list = await backups.listBackups(ref());
    expect(list.schedule).toBe('@every 6h');
    expect(list.target).toBe('file:///backups/demo');
    expect(list.items).toEqual([expect.objectContaining({ name: run.name, phase: 'Succeeded', backup: backupDir, started: expect.any(String), finished: expect.any(String) })]);
  });

  it('restores into a new backend: its BanyanDB restores the backup in an init container before the data node starts, Restored True', async () => {
    const result = await backups.restore(ref('restored'), { backup: backupDir, from: ref() }, 'user:default/tester');
    expect(result).toMatchObject({ applied: true, created: true });
    // the source's spec: version, BanyanDB version and size, and its backup
    expect(result.spec).toMatchObject({ version: '10.2.0', ui: { enabled: false }, storage: { type: 'banyandb', banyandb: { version: '0.9.0', storageSize: '1Gi' } } });

    const sts = await eventually(
      'restored BanyanDB StatefulSet with the restore init container',
      async () => {
        const s = await apps().readNamespacedStatefulSet({ namespace: ns, name: 'restored-banyandb' });
        return (s.spec!.template.spec!.initContainers ?? []).some(c => c.name === 'restore') && s;
      },
      60_000,
    );
    const init = sts.spec!.template.spec!.initContainers!.find(c => c.name === 'restore')!;
    const script = init.command![2];
    expect(init.command!.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(script).toContain('/restore timedir create "$RESTORE_BACKUP" "--stream-root=$RESTORE_ROOT" "--measure-root=$RESTORE_ROOT" "--property-root=$RESTORE_ROOT" "--trace-root=$RESTORE_ROOT"');
    expect(script).toContain('/restore run --source="$RESTORE_SOURCE" "--stream-root-path=$RESTORE_ROOT"');
    expect(init.env).toEqual(expect.arrayContaining([{ name: 'RESTORE_BACKUP', value: backupDir }, { name: 'RESTORE_SOURCE', value: 'file:///backups/demo' }]));
    expect(init.volumeMounts).toEqual([
      { name: 'data', mountPath: '/tmp' },
      { name: 'restore-target', mountPath: '/backups' },
    ]);

    const pod = await bannyPodRunning('restored');
    expect(pod.status!.initContainerStatuses?.find(s => s.name === 'restore')?.state?.terminated?.exitCode).toBe(0);
    const detail = await eventually('Restored condition True', async () => {
      const d = await backends.get(ref('restored'));
      return d.conditions.find(c => c.type === 'Restored')?.status === 'True' && d;
    });
    expect(detail.conditions.find(c => c.type === 'Restored')).toMatchObject({ reason: 'Restored', message: `backup ${backupDir} restored` });
    expect((detail.spec.banyandb as any).restore).toMatchObject({ backup: backupDir, from: ref(), target: { pvc: { claimName: 'skywalking-backups' } } });
  });

  it('restores the existing backend in place: its pod is recreated with the restore init container', async () => {
    const before = await core().readNamespacedPod({ namespace: ns, name: 'demo-banyandb-0' });
    const result = await backups.restore(ref(), { backup: backupDir }, 'user:default/tester');
    expect(result).toMatchObject({ applied: true, created: false });
    await eventually(
      'demo pod recreated with the restore init container',
      async () => {
        const p = await core().readNamespacedPod({ namespace: ns, name: 'demo-banyandb-0' });
        return p.metadata!.uid !== before.metadata!.uid && p.status?.phase === 'Running' && (p.spec!.initContainers ?? []).some(c => c.name === 'restore');
      },
      90_000,
    );
    const detail = await eventually('Restored True on demo', async () => {
      const d = await backends.get(ref());
      return d.conditions.find(c => c.type === 'Restored')?.status === 'True' && d;
    });
    expect((detail.spec.banyandb as any).restore).toMatchObject({ backup: backupDir, target: { pvc: { claimName: 'skywalking-backups' } } });
    // the backup sidecar stays
    const sts = await apps().readNamespacedStatefulSet({ namespace: ns, name: 'demo-banyandb' });
    expect(sts.spec!.template.spec!.containers.map(c => c.name)).toEqual(['banyandb', 'backup']);
  });

  it('refuses an on-demand backup of a BanyanDB without a volume, and a snapshot of external storage without a target', async () => {
    await eventually('plain backend created', async () =>
      (await backends.create({ name: 'plain', namespace: ns, cluster: CLUSTER, version: '10.2.0', ui: { enabled: false } }, 'user:default/tester')).applied,
    );
    await expect(backups.startBackup(ref('plain'), { target: { pvc: { claimName: 'skywalking-backups' } } }, 'user:default/tester')).rejects.toThrow(/keeps its data in the pod/);
    await expect(backups.startBackup(ref('plain'), {}, 'user:default/tester')).rejects.toMatchObject({ fields: [{ path: 'target', message: expect.stringContaining('records no backup target') }] });
    await backends.create(
      { name: 'pg', namespace: ns, cluster: CLUSTER, version: '10.2.0', ui: { enabled: false }, storage: { type: 'postgresql', external: { address: 'pg:5432', secretName: 'pg' } } },
      'user:default/tester',
    );
    // external storage has snapshots (snapshot.test.ts): none recorded here, so none listed and none started without a target
    await expect(backups.listBackups(ref('pg'))).resolves.toEqual({ kind: 'snapshot', items: [], restores: [] });
    await expect(backups.startBackup(ref('pg'), {}, 'user:default/tester')).rejects.toMatchObject({
      fields: [{ path: 'target', message: expect.stringContaining('records no snapshot target (storage.external.snapshot.target)') }],
    });
  });
});

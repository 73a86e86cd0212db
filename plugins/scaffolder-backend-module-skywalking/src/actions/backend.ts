import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  backendEntityName,
  BackendDetail,
  DEFAULT_SKYWALKING_VERSION,
  validateBackendSpec,
  WriteResult,
} from '@skywalking-backstage/plugin-skywalking-common';
import { SkyWalkingApiCaller } from './skywalkingApi';

const enc = encodeURIComponent;

export function createBackendCreateAction(api: SkyWalkingApiCaller) {
  return createTemplateAction({
    id: 'skywalking:backend:create',
    description:
      'Provisions a SkyWalking backend (OAP server, UI, storage) in a Kubernetes cluster and registers it in the catalog as a Resource.',
    examples: [
      {
        description: 'A BanyanDB-backed backend with two OAP replicas and the UI',
        example: [
          'steps:',
          '  - id: backend',
          '    action: skywalking:backend:create',
          '    input:',
          '      name: shop-tracing',
          '      namespace: skywalking',
          '      cluster: local',
          '      version: 10.1.0',
          '      storage: banyandb',
          '      oapReplicas: 2',
          '      ui: true',
          '      owner: group:default/guests',
        ].join('\n'),
      },
      {
        description: 'Three OAP replicas split into two Receivers and one Aggregator, on the nodes of one zone',
        example: [
          'steps:',
          '  - id: backend',
          '    action: skywalking:backend:create',
          '    input:',
          '      name: shop-tracing',
          '      namespace: skywalking',
          '      cluster: local',
          '      version: 10.1.0',
          '      oapReplicas: 3',
          '      roleSplit: true',
          '      receiverRatio: 0.67',
          '      nodeSelector:',
          '        topology.kubernetes.io/zone: zone-1',
        ].join('\n'),
      },
    ],
    schema: {
      input: {
        name: z => z.string().describe('Backend name (DNS-1123 label)'),
        namespace: z => z.string().describe('Kubernetes namespace'),
        cluster: z => z.string().describe('Cluster name from the kubernetes config'),
        version: z => z.string().default(DEFAULT_SKYWALKING_VERSION).describe(`SkyWalking version (default ${DEFAULT_SKYWALKING_VERSION}, which the local cluster's image factory builds)`),
        storage: z =>
          z
            .enum(['banyandb', 'elasticsearch', 'postgresql', 'mysql', 'tidb'])
            .default('banyandb')
            .describe('Storage type'),
        storageAddress: z => z.string().optional().describe('External storage address'),
        storageSecretName: z => z.string().optional().describe('Secret holding external storage credentials'),
        storageCaSecretName: z =>
          z.string().optional().describe("Secret whose key ca.crt is the external storage server's CA (PEM): OAP connects with TLS and verifies the server"),
        snapshotSchedule: z =>
          z
            .string()
            .optional()
            .describe('External storage snapshots: when, a five-field cron expression (e.g. "0 3 * * *") or @daily, @weekly, …; without it snapshots are taken on demand only'),
        snapshotClaimName: z =>
          z.string().optional().describe('External storage snapshots of PostgreSQL, MySQL or TiDB: the PersistentVolumeClaim in the namespace the dumps (pg_dump, mysqldump) go to'),
        snapshotRepository: z =>
          z.string().optional().describe('External storage snapshots of Elasticsearch: the snapshot repository registered in Elasticsearch (PUT _snapshot/<name>)'),
        snapshotKeep: z => z.number().int().min(1).max(1000).optional().describe('External storage snapshots of PostgreSQL, MySQL or TiDB: dump files kept (default 10)'),
        oapReplicas: z => z.number().int().min(1).max(100).default(1).describe('OAP replicas (Receivers and Aggregators together when roleSplit is on)'),
        roleSplit: z =>
          z.boolean().default(false).describe('Split OAP into Receiver (agent data, L1 aggregation) and Aggregator (L2 aggregation, persistence) Deployments; needs at least 2 replicas'),
        receiverRatio: z => z.number().gt(0).lt(1).optional().describe('Share of the OAP replicas that are Receivers when roleSplit is on (default 0.5)'),
        nodeSelector: z => z.record(z.string()).optional().describe('Node labels the backend pods (OAP, UI, BanyanDB) must run on, e.g. { "topology.kubernetes.io/zone": "zone-1" }'),
        ui: z => z.boolean().default(true).describe('Deploy the SkyWalking UI'),
        rover: z => z.boolean().default(false).describe('Deploy SkyWalking Rover for eBPF access logs'),
        owner: z => z.string().optional().describe('Owning group or user entity ref'),
        waitForReady: z => z.boolean().default(false).describe('Wait until the backend is Ready'),
        timeoutSeconds: z => z.number().int().min(10).max(3600).default(600),
      },
      output: {
        backendRef: z => z.string(),
        entityRef: z => z.string(),
        queued: z => z.boolean(),
        phase: z => z.string(),
      },
    },
    async handler(ctx) {
      const i = ctx.input;
      const credentials = await ctx.getInitiatorCredentials();
      const nodeSelector = i.nodeSelector && Object.keys(i.nodeSelector).length ? { nodeSelector: i.nodeSelector } : {};
      // storage.external.snapshot when a target is named (a schedule or keep alone is refused by the validation: no target)
      const snapshotAsked = !!(i.snapshotSchedule || i.snapshotClaimName || i.snapshotRepository) || i.snapshotKeep !== undefined;
      if (snapshotAsked && i.storage === 'banyandb') {
        throw new Error('Invalid backend input: snapshotSchedule, snapshotClaimName, snapshotRepository and snapshotKeep are for external storage; BanyanDB backs up with its own backup tool');
      }
      const snapshot = snapshotAsked
        ? {
            ...(i.snapshotSchedule ? { schedule: i.snapshotSchedule } : {}),
            target: {
              ...(i.snapshotClaimName ? { pvc: { claimName: i.snapshotClaimName } } : {}),
              ...(i.snapshotRepository ? { repository: i.snapshotRepository } : {}),
            },
            ...(i.snapshotKeep !== undefined ? { keep: i.snapshotKeep } : {}),
          }
        : undefined;
      const spec: Record<string, unknown> = {
        name: i.name,
        namespace: i.namespace,
        cluster: i.cluster,
        version: i.version,
        oap: {
          replicas: i.oapReplicas,
          ...nodeSelector,
          ...(i.roleSplit ? { roleSplit: { enabled: true, ...(i.receiverRatio !== undefined ? { receiverRatio: i.receiverRatio } : {}) } } : {}),
        },
        ui: { enabled: i.ui, ...nodeSelector },
        rover: { enabled: i.rover },
        storage:
          i.storage === 'banyandb'
            ? { type: 'banyandb', ...(Object.keys(nodeSelector).length ? { banyandb: nodeSelector } : {}) }
            : {
                type: i.storage,
                external: {
                  address: i.storageAddress,
                  secretName: i.storageSecretName,
                  ...(i.storageCaSecretName ? { tls: { caSecretName: i.storageCaSecretName } } : {}),
                  ...(snapshot ? { snapshot } : {}),
                },
              },
        owner: i.owner,
      };
      // a form keeps the ratio of a split switched on and off again: said, not sent
      if (i.receiverRatio !== undefined && !i.roleSplit) ctx.logger.warn(`receiverRatio ${i.receiverRatio} is not used: roleSplit is off`);
      // the API validates too; failing here names the input before anything is sent
      const errors = validateBackendSpec(spec);
      if (errors.length) throw new Error(`Invalid backend input: ${errors.map(e => `${e.path}: ${e.message}`).join('; ')}`);
      const entityRef = `resource:default/${backendEntityName(i)}`;
      ctx.logger.info(`Creating SkyWalking backend ${i.namespace}/${i.name} in cluster ${i.cluster}`);
      const result = await api.call<WriteResult>(credentials, 'POST', '/backends', {
        spec,
        owner: i.owner,
        entityRef,
      });
      const backendRef = `${i.cluster}/${i.namespace}/${i.name}`;
      ctx.output('backendRef', backendRef);
      ctx.output('entityRef', entityRef);
      ctx.output('queued', result.queued);
      if (result.queued) {
        ctx.logger.warn(`Cluster ${i.cluster} is unreachable; the backend will be created when it is back (${result.message ?? ''})`);
        ctx.output('phase', 'Queued');
        return;
      }
      let phase = 'Progressing';
      if (i.waitForReady) {
        const deadline = Date.now() + i.timeoutSeconds * 1000;
        for (;;) {
          const d = await api.call<BackendDetail>(credentials, 'GET', `/backends/${enc(i.cluster)}/${enc(i.namespace)}/${enc(i.name)}`);
          phase = d.phase;
          ctx.logger.info(`Backend ${backendRef}: ${d.phase}, OAP ${d.oap.ready}/${d.oap.desired}${d.ui ? `, UI ${d.ui.ready}/${d.ui.desired}` : ''}`);
          if (d.phase === 'Ready') break;
          if (Date.now() > deadline) {
            throw new Error(`Backend ${backendRef} was not Ready after ${i.timeoutSeconds}s (phase ${d.phase}: ${d.conditions.map(c => `${c.type}=${c.status} ${c.reason ?? ''}`).join(', ')})`);
          }
          await new Promise(r => setTimeout(r, 3000));
        }
      }
      ctx.output('phase', phase);
    },
  });
}

export function createBackendUpdateAction(api: SkyWalkingApiCaller) {
  return createTemplateAction({
    id: 'skywalking:backend:update',
    description: 'Changes a SkyWalking backend: version upgrade, OAP replicas, pause or resume.',
    examples: [
      {
        description: 'Scale OAP to three replicas and upgrade',
        example: [
          'steps:',
          '  - id: update',
          '    action: skywalking:backend:update',
          '    input:',
          '      cluster: local',
          '      namespace: skywalking',
          '      name: shop-tracing',
          '      oapReplicas: 3',
          '      version: 10.1.0',
        ].join('\n'),
      },
    ],
    schema: {
      input: {
        cluster: z => z.string(),
        namespace: z => z.string(),
        name: z => z.string(),
        version: z => z.string().optional(),
        oapReplicas: z => z.number().int().min(0).max(100).optional(),
        paused: z => z.boolean().optional(),
      },
      output: { queued: z => z.boolean() },
    },
    async handler(ctx) {
      const { cluster, namespace, name, version, oapReplicas, paused } = ctx.input;
      if (version === undefined && oapReplicas === undefined && paused === undefined) {
        throw new Error('Nothing to change: give version, oapReplicas or paused');
      }
      const credentials = await ctx.getInitiatorCredentials();
      const base = `/backends/${enc(cluster)}/${enc(namespace)}/${enc(name)}`;
      let queued = false;
      // one request per change, in a safe order, each audited on its own
      if (paused === true) queued = (await api.call<WriteResult>(credentials, 'POST', `${base}/pause`)).queued || queued;
      if (version !== undefined) queued = (await api.call<WriteResult>(credentials, 'POST', `${base}/upgrade`, { version })).queued || queued;
      if (oapReplicas !== undefined) queued = (await api.call<WriteResult>(credentials, 'POST', `${base}/scale`, { replicas: oapReplicas })).queued || queued;
      if (paused === false) queued = (await api.call<WriteResult>(credentials, 'POST', `${base}/resume`)).queued || queued;
      ctx.logger.info(`Backend ${cluster}/${namespace}/${name} updated${queued ? ' (queued until the cluster is reachable)' : ''}`);
      ctx.output('queued', queued);
    },
  });
}

export function createBackendDeleteAction(api: SkyWalkingApiCaller) {
  return createTemplateAction({
    id: 'skywalking:backend:delete',
    description: 'Deletes a SkyWalking backend and every object it owns.',
    examples: [
      {
        description: 'Delete a backend',
        example: [
          'steps:',
          '  - id: delete',
          '    action: skywalking:backend:delete',
          '    input:',
          '      cluster: local',
          '      namespace: skywalking',
          '      name: shop-tracing',
        ].join('\n'),
      },
    ],
    schema: {
      input: {
        cluster: z => z.string(),
        namespace: z => z.string(),
        name: z => z.string(),
      },
      output: { queued: z => z.boolean() },
    },
    async handler(ctx) {
      const { cluster, namespace, name } = ctx.input;
      const credentials = await ctx.getInitiatorCredentials();
      const r = await api.call<WriteResult>(credentials, 'DELETE', `/backends/${enc(cluster)}/${enc(namespace)}/${enc(name)}`);
      ctx.output('queued', r.queued);
    },
  });
}

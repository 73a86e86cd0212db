/**
 * SkyWalking Rover (eBPF agent) for one portal backend: a privileged
 * DaemonSet on every node with access-log collection on, reporting to the
 * backend's OAP over gRPC, and the RBAC its Kubernetes process discovery needs.
 *
 * Environment variables and mounts follow Rover's own documentation:
 * - apache/skywalking-rover configs/rover_configs.yaml: ROVER_BACKEND_ADDR,
 *   ROVER_PROCESS_DISCOVERY_KUBERNETES_ACTIVE, ROVER_PROCESS_DISCOVERY_KUBERNETES_NODE_NAME;
 * - docs/en/setup/configuration/traffic.md: ROVER_ACCESS_LOG_ACTIVE (default false);
 * - docs/en/setup/examples/deploy/kubernetes/rover-daemonset.yml: privileged with
 *   SYS_PTRACE and SYS_ADMIN, hostPID, hostNetwork, dnsPolicy ClusterFirstWithHostNet,
 *   the host filesystem mounted read-only and ROVER_HOST_MAPPING;
 * - CHANGES.md 0.7.0: "split env name ROVER_HOST_MAPPING to ROVER_HOST_PROC_MAPPING
 *   and ROVER_HOST_ETC_MAPPING" (pkg/tools/host): so only the host's /proc and /etc
 *   are mounted (under /host), with both new variables for 0.7.0 and later and the
 *   old one (whose /proc and /etc lie under /host too) for earlier images.
 */
import type { SkyWalkingBackendSpec } from '../backendSpec';
import type { KubeObject } from './render';
import { MANAGED_BY } from './render';

export const DEFAULT_ROVER_VERSION = '0.7.0';
/** labels on every Rover object naming its backend (cluster-scoped RBAC is found and deleted by them) */
export const ROVER_BACKEND_NAMESPACE_LABEL =
  'skywalking-backstage.io/backend-namespace';
export const ROVER_BACKEND_NAME_LABEL = 'skywalking-backstage.io/backend-name';

/** The object a backend's namespaced Rover objects are owned by (its OAPServer custom object). */
export interface RoverOwner {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

/** Names of a backend's Rover objects: cluster-scoped ones carry the namespace to be unique. */
export function roverNames(
  spec: Pick<SkyWalkingBackendSpec, 'name' | 'namespace'>,
) {
  return {
    daemonSet: `${spec.name}-rover`,
    serviceAccount: `${spec.name}-rover`,
    clusterRole: `skywalking-rover-${spec.namespace}-${spec.name}`,
    clusterRoleBinding: `skywalking-rover-${spec.namespace}-${spec.name}`,
  };
}

/** gRPC address of the backend's OAP, as Rover's ROVER_BACKEND_ADDR */
export function roverBackendAddress(
  spec: Pick<SkyWalkingBackendSpec, 'name' | 'namespace'>,
) {
  return `${spec.name}-oap.${spec.namespace}:11800`;
}

/**
 * ServiceAccount, ClusterRole, ClusterRoleBinding and DaemonSet of a backend's
 * Rover, or nothing when `spec.rover.enabled` is not true. With `owner`, the
 * namespaced objects get a (non-controller) owner reference to it, so garbage
 * collection removes them with the backend; cluster-scoped RBAC cannot be
 * owned by a namespaced object and is labelled with the backend instead.
 */
export function renderRover(
  spec: SkyWalkingBackendSpec,
  opts: { owner?: RoverOwner } = {},
): KubeObject[] {
  if (spec.rover?.enabled !== true) return [];
  const names = roverNames(spec);
  const version = spec.rover.version ?? DEFAULT_ROVER_VERSION;
  const labels = {
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/part-of': spec.name,
    'app.kubernetes.io/component': 'rover',
    [ROVER_BACKEND_NAMESPACE_LABEL]: spec.namespace,
    [ROVER_BACKEND_NAME_LABEL]: spec.name,
  };
  // not a controller reference: the reconcile engine prunes children it controls and does not render
  const ownerReferences = opts.owner
    ? [{ ...opts.owner, controller: false }]
    : undefined;
  const namespaced = (name: string) => ({
    name,
    namespace: spec.namespace,
    labels,
    ...(ownerReferences ? { ownerReferences } : {}),
  });
  const fromNode = {
    valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } },
  };
  const selector = {
    app: 'rover',
    'app.kubernetes.io/part-of': spec.name,
    'app.kubernetes.io/component': 'rover',
  };
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: namespaced(names.serviceAccount),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: names.clusterRole, labels },
      // Kubernetes process discovery reads pods, their services and owners on every namespace
      rules: [
        {
          apiGroups: [''],
          resources: ['pods', 'nodes', 'services', 'endpoints', 'namespaces'],
          verbs: ['get', 'list', 'watch'],
        },
        {
          apiGroups: ['discovery.k8s.io'],
          resources: ['endpointslices'],
          verbs: ['get', 'list', 'watch'],
        },
        {
          apiGroups: ['apps'],
          resources: [
            'replicasets',
            'deployments',
            'statefulsets',
            'daemonsets',
          ],
          verbs: ['get', 'list', 'watch'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: names.clusterRoleBinding, labels },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: names.clusterRole,
      },
      subjects: [
        {
          kind: 'ServiceAccount',
          name: names.serviceAccount,
          namespace: spec.namespace,
        },
      ],
    },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: namespaced(names.daemonSet),
      spec: {
        selector: { matchLabels: selector },
        updateStrategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: 1 },
        },
        template: {
          metadata: {
            labels: { ...selector, 'app.kubernetes.io/managed-by': MANAGED_BY },
          },
          spec: {
            serviceAccountName: names.serviceAccount,
            hostPID: true,
            hostNetwork: true,
            dnsPolicy: 'ClusterFirstWithHostNet',
            // every node, tainted ones (control plane, dedicated pools) included
            tolerations: [{ operator: 'Exists' }],
            containers: [
              {
                name: 'rover',
                image: `apache/skywalking-rover:${version}`,
                securityContext: {
                  privileged: true,
                  capabilities: { add: ['SYS_PTRACE', 'SYS_ADMIN'] },
                },
                env: [
                  {
                    name: 'ROVER_BACKEND_ADDR',
                    value: roverBackendAddress(spec),
                  },
                  { name: 'ROVER_ACCESS_LOG_ACTIVE', value: 'true' },
                  {
                    name: 'ROVER_PROCESS_DISCOVERY_KUBERNETES_ACTIVE',
                    value: 'true',
                  },
                  {
                    name: 'ROVER_PROCESS_DISCOVERY_KUBERNETES_NODE_NAME',
                    ...fromNode,
                  },
                  { name: 'NODE_NAME', ...fromNode },
                  { name: 'ROVER_HOST_PROC_MAPPING', value: '/host/proc' },
                  { name: 'ROVER_HOST_ETC_MAPPING', value: '/host/etc' },
                  { name: 'ROVER_HOST_MAPPING', value: '/host' },
                ],
                resources: { requests: { cpu: '100m', memory: '256Mi' } },
                volumeMounts: [
                  {
                    name: 'host-proc',
                    mountPath: '/host/proc',
                    readOnly: true,
                  },
                  { name: 'host-etc', mountPath: '/host/etc', readOnly: true },
                  { name: 'sys', mountPath: '/sys', readOnly: true },
                ],
              },
            ],
            volumes: [
              {
                name: 'host-proc',
                hostPath: { path: '/proc', type: 'Directory' },
              },
              {
                name: 'host-etc',
                hostPath: { path: '/etc', type: 'Directory' },
              },
              { name: 'sys', hostPath: { path: '/sys', type: 'Directory' } },
            ],
          },
        },
      },
    },
  ];
}

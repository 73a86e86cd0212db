/**
 * A real local Kubernetes control plane (etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler, KWOK fake nodes) built from Go
 * modules, for the demo portal and the tests.
 *
 * @packageDocumentation
 */
export { startLocalCluster, stopPids, freePort, SERVICE_CIDR, POD_CIDR } from './cluster';
export type { ComponentName, LocalCluster, StartOptions } from './cluster';
export { ensureBinaries } from './binaries';
export { getSharedTestCluster, createTestNamespace, eventually, describeOnRealNode, apiServerRequest } from './testing';
export { realNodeNamespaceAnnotations, REAL_NODE_LABEL, REAL_NODE_TAINT } from './realNode/config';
export { hostState, diffHostState } from './realNode/hostState';
export type { HostState } from './realNode/hostState';
export type { TestCluster } from './testing';
export { createCertificateAuthority } from './pki';

import { K8s, loadK8s } from '../clusters/k8s';

/** SWCK's controller-manager leader-election Lease (operator/config/manager/controller_manager_config.yaml) */
export const SWCK_LEASE_NAME = 'v1alpha1.swck.skywalking.apache.org';

/**
 * Why we think SWCK's own controller runs in a cluster, or undefined: a
 * kubebuilder controller-manager Deployment of skywalking-swck, or SWCK's
 * leader Lease renewed recently.
 */
export async function detectSwckController(kc: K8s.KubeConfig, now = Date.now()): Promise<string | undefined> {
  const k8s = await loadK8s();
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const deployments = await apps.listDeploymentForAllNamespaces({ labelSelector: 'control-plane=controller-manager' });
  for (const d of deployments.items) {
    const images = (d.spec?.template.spec?.containers ?? []).map(c => c.image ?? '');
    if (/skywalking-swck/.test(d.metadata?.name ?? '') || images.some(i => /skywalking-swck/.test(i))) {
      return `Deployment ${d.metadata?.namespace}/${d.metadata?.name} (control-plane=controller-manager)`;
    }
  }
  try {
    const leases = await kc
      .makeApiClient(k8s.CoordinationV1Api)
      .listLeaseForAllNamespaces({ fieldSelector: `metadata.name=${SWCK_LEASE_NAME}` });
    for (const l of leases.items) {
      const renewed = l.spec?.renewTime ? new Date(l.spec.renewTime as any).getTime() : 0;
      if (l.spec?.holderIdentity && now - renewed < ((l.spec.leaseDurationSeconds ?? 15) + 60) * 1000) {
        return `Lease ${l.metadata?.namespace}/${SWCK_LEASE_NAME} held by ${l.spec.holderIdentity}`;
      }
    }
  } catch (e: any) {
    if (e?.code !== 403) throw e; // no right to list Leases: the Deployment check stands alone
  }
  return undefined;
}

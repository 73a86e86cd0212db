import { LoggerService } from '@backstage/backend-plugin-api';
import { BackendRef } from '@skywalking-backstage/plugin-skywalking-common';
import { ClusterRegistry } from '../clusters/ClusterRegistry';
import { SWCK_GROUP, SWCK_VERSION } from '../engine/kinds';

export interface SweepResult {
  backends: number;
  changed: string[];
  errors: string[];
}

/**
 * A scheduled sweep: `reconcile` for every OAPServer `wanted` picks, in
 * every reachable cluster (a known-unreachable one is skipped; one never
 * checked is tried). One failing backend or cluster does not stop the
 * others; the errors are logged with `label` and returned.
 */
export async function sweepOapServers(
  o: { clusters: ClusterRegistry; logger: LoggerService },
  label: string,
  wanted: (oap: any) => boolean,
  reconcile: (ref: BackendRef) => Promise<string[]>,
): Promise<SweepResult> {
  const changed: string[] = [];
  const errors: string[] = [];
  let backends = 0;
  for (const cluster of o.clusters.names()) {
    const health = o.clusters.health(cluster);
    if (!health.reachable && health.checkedAt !== undefined) continue;
    let oaps: any[];
    try {
      const r: any = await o.clusters.clients(cluster).custom.listClusterCustomObject({ group: SWCK_GROUP, version: SWCK_VERSION, plural: 'oapservers' });
      oaps = r.items ?? [];
    } catch (e: any) {
      if (e?.code !== 404) errors.push(`cluster ${cluster}: ${e?.message ?? e}`);
      continue;
    }
    for (const oap of oaps) {
      if (!wanted(oap)) continue;
      const ref = { cluster, namespace: oap.metadata.namespace, name: oap.metadata.name };
      backends++;
      try {
        changed.push(...(await reconcile(ref)).map(c => `${cluster}/${ref.namespace}/${ref.name}: ${c}`));
      } catch (e: any) {
        errors.push(`${cluster}/${ref.namespace}/${ref.name}: ${e?.message ?? e}`);
      }
    }
  }
  for (const e of errors) o.logger.warn(`${label}: ${e}`);
  return { backends, changed, errors };
}

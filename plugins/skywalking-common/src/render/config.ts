/** OAPServerConfig (static: env and files, rolls OAP) and OAPServerDynamicConfig (k8s-configmap, no restart). */
import type { K8sObject, OAPServer, OAPServerConfig, OAPServerDynamicConfig } from '../crds/types';
import { LABEL_PREFIX, RenderableCR, commonLabels, configChecksum, objectMeta } from './common';

/** The OAP pod label selector SWCK uses for clustering; OAP's k8s-configmap module reads ConfigMaps with the same selector. */
export function oapClusterSelector(oapName: string): Record<string, string> {
  return { app: 'oap', [`${LABEL_PREFIX}/oap-server-name`]: oapName };
}
export function selectorString(selector: Record<string, string>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Parses a simple equality selector `a=b,c=d` (what SWCK accepts); undefined when it is not one. */
export function parseEqualitySelector(s: string | undefined): Record<string, string> | undefined {
  if (!s || !s.trim()) return undefined;
  const out: Record<string, string> = {};
  for (const part of s.split(',')) {
    const m = /^\s*([A-Za-z0-9./_-]+)\s*==?\s*([A-Za-z0-9._-]*)\s*$/.exec(part);
    if (!m) return undefined;
    out[m[1]] = m[2];
  }
  return out;
}

/** The OAPServerConfigs that apply to an OAPServer: named in spec.configRefs, else (as SWCK) those of the same version. */
export function applicableStaticConfigs(oap: Pick<OAPServer, 'spec'>, configs: OAPServerConfig[] = []): OAPServerConfig[] {
  const refs = oap.spec.configRefs;
  const chosen = refs?.length ? configs.filter(c => refs.includes(c.metadata.name)) : configs.filter(c => c.spec.version === oap.spec.version);
  return [...chosen].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/** ConfigMap with the static files of an OAPServerConfig (SWCK names it after the config and mounts each file with subPath). */
export function renderOAPServerConfig(cr: RenderableCR<OAPServerConfig['spec']>): K8sObject[] {
  const files = [...(cr.spec.file ?? [])].filter(f => f.name).sort((a, b) => a.name!.localeCompare(b.name!));
  if (!files.length) return [];
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: objectMeta(cr, cr.metadata.name, {
        ...commonLabels(cr, 'skywalking-oap-config', cr.spec.version),
        version: cr.spec.version,
        oapServerConfig: 'static',
        'md5-file': configChecksum(files),
      }),
      data: Object.fromEntries(files.map(f => [f.name!, f.data ?? ''])),
    },
  ];
}

export interface DynamicConfigRenderOptions {
  /**
   * The OAPServer whose k8s-configmap module should read this config. Its cluster
   * selector labels go on the ConfigMap, since OAP reads ConfigMaps with the same
   * SW_CLUSTER_K8S_LABEL selector it uses for its peers.
   */
  oapServerName?: string;
}

/**
 * ConfigMap for OAP's `k8s-configmap` dynamic configuration module: one key per
 * dynamic configuration item, labelled so OAP's selector finds it. Labels follow
 * SWCK (version, OAPServerConfig: dynamic, md5) plus the selector labels.
 */
export function renderOAPServerDynamicConfig(cr: RenderableCR<OAPServerDynamicConfig['spec']>, options: DynamicConfigRenderOptions = {}): K8sObject[] {
  const data = [...(cr.spec.data ?? [])].filter(d => d.name).sort((a, b) => a.name!.localeCompare(b.name!));
  const selectorLabels = options.oapServerName ? oapClusterSelector(options.oapServerName) : parseEqualitySelector(cr.spec.labelSelector) ?? {};
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: objectMeta(cr, cr.metadata.name, {
        ...commonLabels(cr, 'skywalking-oap-dynamic-config', cr.spec.version),
        ...selectorLabels,
        version: cr.spec.version,
        OAPServerConfig: 'dynamic',
        md5: configChecksum(data),
      }),
      data: Object.fromEntries(data.map(d => [d.name!, d.value ?? ''])),
    },
  ];
}

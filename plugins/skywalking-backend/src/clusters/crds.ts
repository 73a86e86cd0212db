import fs from 'node:fs';
import path from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import YAML from 'yaml';
import { K8s, loadK8s } from './k8s';

const crdDir = () => resolvePackagePath('@skywalking-backstage/plugin-skywalking-backend', 'crds');

/** SWCK's CustomResourceDefinitions, as shipped in the package's crds/ directory. */
export function loadSwckCrds(): any[] {
  const dir = crdDir();
  return fs
    .readdirSync(dir)
    .filter(f => f.endsWith('.yaml'))
    .sort()
    .map(f => YAML.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
}

export interface CrdInstallResult {
  created: string[];
  present: string[];
  /** CRDs we could not create, e.g. for lack of RBAC rights; the message says which */
  failed: { name: string; error: string }[];
}

/**
 * Creates the SWCK CRDs a cluster lacks. Existing ones are left alone: a
 * cluster that runs SWCK keeps its own versions of them.
 */
export async function ensureSwckCrds(kc: K8s.KubeConfig): Promise<CrdInstallResult> {
  const k8s = await loadK8s();
  const api = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const result: CrdInstallResult = { created: [], present: [], failed: [] };
  for (const crd of loadSwckCrds()) {
    const name = crd.metadata.name as string;
    try {
      await api.readCustomResourceDefinition({ name });
      result.present.push(name);
      continue;
    } catch (e: any) {
      if (e?.code !== 404) {
        result.failed.push({ name, error: `cannot read: ${e?.message ?? e}` });
        continue;
      }
    }
    try {
      await api.createCustomResourceDefinition({ body: crd });
      result.created.push(name);
    } catch (e: any) {
      if (e?.code === 409) result.present.push(name);
      else result.failed.push({ name, error: e?.code === 403 ? 'forbidden: the portal lacks the right to create CRDs' : `${e?.message ?? e}` });
    }
  }
  return result;
}

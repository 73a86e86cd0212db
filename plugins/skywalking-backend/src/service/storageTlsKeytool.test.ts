/*
 * The truststore init container of storage TLS (operator/storageTls.ts),
 * run for real: its command and env taken from the rendered OAP Deployment,
 * its volumes as local directories, against a CA generated here, with this
 * machine's keytool (the OAP image's JRE has the same tool). It always
 * runs: without keytool it fails, naming the package to install
 * (scripts/install.sh --system-packages installs default-jre-headless).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderOAPServer, STORAGE_TLS_ANNOTATION, CustomObject } from '@skywalking-backstage/plugin-skywalking-common';
import { generateCa } from '../webhook/certificates';

const keytool = spawnSync('sh', ['-c', 'command -v keytool'], { encoding: 'utf8' }).stdout.trim();

function oap(storage: { name: string; value: string }[]): CustomObject {
  return {
    apiVersion: 'operator.skywalking.apache.org/v1alpha1',
    kind: 'OAPServer',
    metadata: { name: 'demo', namespace: 'sw', annotations: { [STORAGE_TLS_ANNOTATION]: JSON.stringify({ caSecretName: 'es-ca', caKey: 'root.pem' }) } },
    spec: { version: '10.2.0', instances: 1, config: storage },
  };
}

/**
 * Runs the rendered init container locally: each of its volumes a directory
 * under `root` (a Secret volume gets its items written), its env with the
 * mount paths moved there and secretKeyRefs resolved from `secrets`.
 */
function runInitContainer(deployment: any, root: string, secrets: Record<string, Record<string, string>>) {
  const pod = deployment.spec.template.spec;
  const init = pod.initContainers.find((c: any) => c.name === 'storage-truststore');
  const moved: [string, string][] = [];
  for (const m of init.volumeMounts) {
    const dir = path.join(root, m.name);
    fs.mkdirSync(dir, { recursive: true });
    const volume = pod.volumes.find((v: any) => v.name === m.name);
    for (const item of volume.secret?.items ?? []) fs.writeFileSync(path.join(dir, item.path), secrets[volume.secret.secretName][item.key]);
    moved.push([m.mountPath, dir]);
  }
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const e of init.env) {
    if (e.valueFrom) env[e.name] = secrets[e.valueFrom.secretKeyRef.name][e.valueFrom.secretKeyRef.key];
    else env[e.name] = moved.reduce((v: string, [from, to]) => (v.startsWith(`${from}/`) ? to + v.slice(from.length) : v), e.value);
  }
  const r = spawnSync(init.command[0], init.command.slice(1), { env, encoding: 'utf8' });
  return { ...r, env, init };
}

describe('the storage truststore init container, run with keytool', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'storage-truststore-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('imports the CA PEM into a JKS truststore holding exactly that CA as a trusted certificate; a pod restart rebuilds it', () => {
    if (!keytool) throw new Error('keytool is not installed: install default-jre-headless, e.g. scripts/install.sh --system-packages');
    const ca = generateCa({ commonName: 'storage test CA', validityMs: 24 * 3600_000 });
    const password = randomBytes(24).toString('hex');
    const secrets = { 'es-ca': { 'root.pem': ca.certPem }, 'demo-storage-truststore': { password } };
    for (const storage of [
      [{ name: 'SW_STORAGE', value: 'elasticsearch' }],
      [{ name: 'SW_STORAGE', value: 'mysql' }, { name: 'SW_JDBC_URL', value: 'jdbc:mysql://db:3306/skywalking' }],
    ]) {
      const deployment = renderOAPServer(oap(storage)).find(o => o.kind === 'Deployment')!;
      fs.rmSync(root, { recursive: true, force: true });
      // twice: a restarted pod runs the init container again over the emptyDir it left
      for (const attempt of [1, 2]) {
        const r = runInitContainer(deployment, root, secrets);
        expect({ attempt, status: r.status, stderr: r.stderr }).toEqual({ attempt, status: 0, stderr: expect.any(String) });
        // the password never on a command line
        expect(JSON.stringify(r.init.command)).not.toContain(password);
        const store = r.env.STORAGE_TRUSTSTORE;
        // the OAP container reads the file the init container wrote: same volume, same mount path, the path its config names
        const inPod = r.init.env.find((e: any) => e.name === 'STORAGE_TRUSTSTORE').value;
        const oapContainer = deployment.spec.template.spec.containers[0];
        const initMount = r.init.volumeMounts.find((m: any) => m.name === 'storage-truststore');
        expect(oapContainer.volumeMounts).toContainEqual({ ...initMount, readOnly: true });
        const config = Object.fromEntries(oapContainer.env.map((e: any) => [e.name, e.value]));
        const named = storage[0].value === 'elasticsearch' ? config.SW_STORAGE_ES_SSL_JKS_PATH : /trustCertificateKeyStoreUrl=file:([^&]+)/.exec(config.SW_JDBC_URL)?.[1];
        expect(named).toBe(inPod);
        const list = spawnSync(keytool || 'keytool', ['-list', '-v', '-keystore', store, '-storepass', password], { encoding: 'utf8' });
        expect(list.status).toBe(0);
        expect(list.stdout).toMatch(/Keystore type: JKS/i);
        expect(list.stdout).toMatch(/Your keystore contains 1 entry/);
        expect(list.stdout.match(/Entry type: trustedCertEntry/g)).toHaveLength(1);
        const fingerprint = new X509Certificate(ca.certPem).fingerprint256;
        expect(list.stdout).toContain(`SHA256: ${fingerprint}`);
        // the wrong password opens nothing
        expect(spawnSync(keytool || 'keytool', ['-list', '-keystore', store, '-storepass', 'wrong-password'], { encoding: 'utf8' }).status).not.toBe(0);
      }
    }
  });
});

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  BACKUP_MOUNT,
  CustomObject,
  renderSnapshotJob,
  renderSnapshotRestoreJob,
  StorageSnapshot,
} from '@skywalking-backstage/plugin-skywalking-common';
import { renderBackendObjects } from './BackendService';

/*
 * The snapshot Jobs' scripts, taken from the rendered Jobs and run here with
 * the Job's env: pg_dump / pg_restore against the real PostgreSQL the test
 * setup starts, and curl against a double of Elasticsearch's snapshot API
 * (Elasticsearch cannot run here; the double answers as the published API
 * does: PUT /_snapshot/<repository>/<snapshot>?wait_for_completion=true ->
 * 200 {"snapshot":{…,"state":"SUCCESS"}}, unknown repository -> 404
 * repository_missing_exception). mysqldump has no server here: its flags are
 * pinned in skywalking-common's snapshot tests.
 */

jest.setTimeout(60_000);

// the test setup's PostgreSQL (npm test), else one of our own (scripts/postgres.mjs), stopped afterwards
let pgUrl = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
const repoRoot = path.resolve(__dirname, '../../../..');
const ownPg = path.join(os.tmpdir(), `swb-snapshot-pg-${process.pid}`);

beforeAll(() => {
  for (const tool of ['pg_dump', 'pg_restore', 'psql', 'curl']) {
    if (spawnSync(tool, ['--version']).status !== 0) throw new Error(`${tool} is not installed (Debian packages postgresql-client, curl)`);
  }
  if (!pgUrl) pgUrl = execFileSync(process.execPath, [path.join(repoRoot, 'scripts/postgres.mjs'), 'start', ownPg], { encoding: 'utf8' }).trim().split('\n').pop();
});
afterAll(() => {
  if (!fs.existsSync(ownPg)) return;
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts/postgres.mjs'), 'stop', ownPg]);
  fs.rmSync(ownPg, { recursive: true, force: true });
});

/** The OAPServer the portal renders for a spec (what the engine and BackupService read). */
function oapFor(storage: any): CustomObject {
  const objects = renderBackendObjects({ name: 'demo', namespace: 'sw', cluster: 'local', version: '10.2.0', storage } as any);
  const oap = objects.find(o => o.kind === 'OAPServer')!;
  return { ...oap, metadata: { ...oap.metadata, uid: 'u1' } } as CustomObject;
}

/**
 * Runs a Job's container script here: its env with secretKeyRefs from
 * `secrets`, the job-name fieldRef from `jobName`, and the PVC mount
 * (/backups) moved to `dir`; `pathPrefix` goes first on PATH; `uid`: as that user (and group).
 */
function runJob(job: any, opts: { secrets: Record<string, string>; jobName: string; dir?: string; pathPrefix?: string; uid?: number }) {
  const c = job.spec.template.spec.containers[0];
  const env: Record<string, string> = { PATH: `${opts.pathPrefix ? `${opts.pathPrefix}:` : ''}${process.env.PATH ?? '/usr/bin:/bin'}` };
  for (const e of c.env) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) env[e.name] = opts.secrets[e.valueFrom.secretKeyRef.key];
    else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.labels['batch.kubernetes.io/job-name']") env[e.name] = opts.jobName;
    else throw new Error(`env ${e.name} has a source this test cannot give`);
  }
  if (env.SNAPSHOT_DIR === BACKUP_MOUNT) env.SNAPSHOT_DIR = opts.dir!;
  const [sh, flag, script] = c.command;
  // asynchronously: the Elasticsearch double answers from this process
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(sh, [flag, script], { env, ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', d => (stdout += d));
    child.stderr.on('data', d => (stderr += d));
    child.on('error', reject);
    child.on('close', status => resolve({ status, stdout, stderr }));
  });
}

describe('PostgreSQL snapshot hook (pg_dump / pg_restore in the rendered Jobs, real PostgreSQL)', () => {
  const db = `sw_snap_${process.pid}`;
  const psql = (sql: string, database = db) => execFileSync('psql', [`${pgUrl}/${database}`, '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql], { encoding: 'utf8' }).trim();
  let dir: string;
  let oap: CustomObject;
  let snapshot: StorageSnapshot;
  let port: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swb-snap-'));
    psql(`CREATE DATABASE ${db}`, 'postgres');
    psql('CREATE TABLE service_traffic (id text PRIMARY KEY, name text NOT NULL, time_bucket bigint)');
    psql(`INSERT INTO service_traffic SELECT 'svc' || g, 'service-' || g, 202611301200 + g FROM generate_series(1, 500) g`);
    port = new URL(pgUrl!).port;
    snapshot = { target: { pvc: { claimName: 'snapshots' } }, keep: 2 };
    oap = oapFor({ type: 'postgresql', external: { address: `127.0.0.1:${port}`, secretName: 'pg-credentials', database: db, snapshot } });
  });
  afterAll(() => {
    psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`, 'postgres');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const secrets = { username: 'postgres', password: 'unused-with-trust-auth' };

  it('dumps the database into <pvc>/<backend>/<job>.dump and restores it over later changes', async () => {
    const job = renderSnapshotJob(oap, snapshot, { jobName: 'demo-snap-20261130120000' });
    const dump = await runJob(job, { secrets, jobName: job.metadata.name, dir });
    expect(dump.stderr).toBe('');
    expect(dump.status).toBe(0);
    const file = path.join(dir, 'demo', 'demo-snap-20261130120000.dump');
    expect(fs.statSync(file).size).toBeGreaterThan(1000);
    expect(dump.stdout).toContain(`pg_dump of database ${db} at 127.0.0.1:${port}`);

    // OAP keeps writing after the snapshot: rows go, a row changes, a table appears
    psql("DELETE FROM service_traffic WHERE id <> 'svc1'");
    psql("UPDATE service_traffic SET name = 'changed' WHERE id = 'svc1'");
    psql('CREATE TABLE later_table (x int)');

    const restore = renderSnapshotRestoreJob(oap, snapshot, { jobName: 'demo-restore-1', snapshot: 'demo-snap-20261130120000' });
    const r = await runJob(restore, { secrets, jobName: 'demo-restore-1', dir });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(psql('SELECT count(*) FROM service_traffic')).toBe('500');
    expect(psql("SELECT name FROM service_traffic WHERE id = 'svc1'")).toBe('service-1');
    // a table the snapshot did not have is not the restore's to drop
    expect(psql("SELECT count(*) FROM pg_tables WHERE tablename = 'later_table'")).toBe('1');
  });

  it('keeps only the newest `keep` dumps', async () => {
    for (const n of ['demo-snap-20261130130000', 'demo-snap-20261130140000', 'demo-snap-20261130150000']) {
      const job = renderSnapshotJob(oap, snapshot, { jobName: n });
      expect((await runJob(job, { secrets, jobName: n, dir })).status).toBe(0);
    }
    expect(fs.readdirSync(path.join(dir, 'demo')).sort()).toEqual(['demo-snap-20261130140000.dump', 'demo-snap-20261130150000.dump']);
  });

  it('a restore of a snapshot that is not there fails with its name and leaves the database alone', async () => {
    psql("INSERT INTO service_traffic VALUES ('kept', 'kept', 1)");
    const restore = renderSnapshotRestoreJob(oap, snapshot, { jobName: 'demo-restore-2', snapshot: 'demo-snap-19990101000000' });
    const r = await runJob(restore, { secrets, jobName: 'demo-restore-2', dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no snapshot demo-snap-19990101000000');
    expect(psql("SELECT name FROM service_traffic WHERE id = 'kept'")).toBe('kept');
  });

  it('a dump to a volume its user cannot write fails naming that user, before pg_dump runs', async () => {
    // the factory's image runs as postgres (not root): a volume only root may write stops it
    const readOnly = fs.mkdtempSync(path.join(os.tmpdir(), 'swb-snap-ro-'));
    fs.chmodSync(readOnly, 0o555);
    const root = process.getuid?.() === 0;
    try {
      const job = renderSnapshotJob(oap, snapshot, { jobName: 'demo-snap-unwritable' });
      const r = await runJob(job, { secrets, jobName: 'demo-snap-unwritable', dir: readOnly, ...(root ? { uid: 65534 } : {}) });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`cannot write to ${readOnly}/demo: the snapshot volume must be writable by uid ${root ? 65534 : process.getuid!()}`);
      expect(r.stdout).not.toContain('pg_dump of database');
    } finally {
      fs.rmSync(readOnly, { recursive: true, force: true });
    }
  });

  it('a dump with wrong credentials fails and leaves no partial file as a snapshot', async () => {
    const bad = oapFor({ type: 'postgresql', external: { address: `127.0.0.1:${port}`, secretName: 'pg-credentials', database: 'no_such_database', snapshot } });
    const job = renderSnapshotJob(bad, snapshot, { jobName: 'demo-snap-bad' });
    const r = await runJob(job, { secrets, jobName: 'demo-snap-bad', dir });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('no_such_database');
    expect(fs.existsSync(path.join(dir, 'demo', 'demo-snap-bad.dump'))).toBe(false);
  });
});

describe('Elasticsearch snapshot hook (curl in the rendered Job, against a double of the snapshot API)', () => {
  let server: http.Server;
  const requests: { method?: string; url?: string; auth?: string; body: string }[] = [];
  let address: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', d => (body += d));
      req.on('end', () => {
        requests.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
        const m = /^\/_snapshot\/([^/]+)\/([^/?]+)\?wait_for_completion=true$/.exec(req.url ?? '');
        res.setHeader('content-type', 'application/json');
        if (req.method !== 'PUT' || !m) {
          res.statusCode = 400;
          res.end(JSON.stringify({ error: { type: 'illegal_argument_exception' }, status: 400 }));
        } else if (m[1] !== 'skywalking') {
          res.statusCode = 404;
          res.end(JSON.stringify({ error: { type: 'repository_missing_exception', reason: `[${m[1]}] missing` }, status: 404 }));
        } else {
          res.end(JSON.stringify({ snapshot: { snapshot: m[2], repository: m[1], indices: ['sw_metrics-all-20261130'], state: 'SUCCESS', shards: { total: 1, failed: 0, successful: 1 } } }));
        }
      });
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise(r => server.close(r)));

  it('asks Elasticsearch for a snapshot named after the Job, with the credentials of the Secret', async () => {
    const snapshot = { target: { repository: 'skywalking' } };
    const oap = oapFor({ type: 'elasticsearch', external: { address, secretName: 'es-credentials', snapshot } });
    const job = renderSnapshotJob(oap, snapshot, { jobName: 'demo-snap-20261130120000' });
    const r = await runJob(job, { secrets: { username: 'elastic', password: 's3cret' }, jobName: 'demo-snap-20261130120000' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const last = requests[requests.length - 1];
    expect(last.method).toBe('PUT');
    expect(last.url).toBe('/_snapshot/skywalking/demo-snap-20261130120000?wait_for_completion=true');
    expect(Buffer.from(String(last.auth).replace(/^Basic /, ''), 'base64').toString()).toBe('elastic:s3cret');
    expect(JSON.parse(last.body)).toEqual({ indices: '*', include_global_state: false });
  });

  it('gives curl the password on stdin, not its command line, escaping quotes and backslashes', async () => {
    const snapshot = { target: { repository: 'skywalking' } };
    const oap = oapFor({ type: 'elasticsearch', external: { address, secretName: 'es-credentials', snapshot } });
    const job = renderSnapshotJob(oap, snapshot, { jobName: 'demo-snap-argv' });
    const password = 'pw-"q\\b:c$HOME';
    // curl blanks --user in its argv once started, so /proc shows nothing afterwards: a curl first on PATH records the argv it is started with
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'swb-curl-argv-'));
    const log = path.join(bin, 'argv');
    const realCurl = execFileSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).trim();
    fs.writeFileSync(path.join(bin, 'curl'), `#!/bin/sh\nprintf '%s\\n' "$@" >> '${log}'\nexec '${realCurl}' "$@"\n`, { mode: 0o755 });
    try {
      const r = await runJob(job, { secrets: { username: 'elastic', password }, jobName: 'demo-snap-argv', pathPrefix: bin });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const last = requests[requests.length - 1];
      expect(Buffer.from(String(last.auth).replace(/^Basic /, ''), 'base64').toString()).toBe(`elastic:${password}`);
      const argv = fs.readFileSync(log, 'utf8');
      expect(argv).toContain('/_snapshot/skywalking/demo-snap-argv');
      expect(argv).not.toContain('pw-');
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it('fails with Elasticsearch\'s answer when the repository is not registered', async () => {
    const snapshot = { target: { repository: 'not-registered' } };
    const oap = oapFor({ type: 'elasticsearch', external: { address, secretName: 'es-credentials', snapshot } });
    const job = renderSnapshotJob(oap, snapshot, { jobName: 'demo-snap-x' });
    const r = await runJob(job, { secrets: { username: 'elastic', password: 's3cret' }, jobName: 'demo-snap-x' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('repository_missing_exception');
    expect(r.stderr).toContain('Elasticsearch answered HTTP 404');
  });
});

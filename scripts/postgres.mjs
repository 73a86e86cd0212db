#!/usr/bin/env node
// Starts a throwaway PostgreSQL (Debian package) on loopback for the tests:
// temporary data directory, free port, stopped by PID.
//   node scripts/postgres.mjs start <stateDir>   -> prints the connection string
//   node scripts/postgres.mjs stop <stateDir>
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

function pgBinDir() {
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const versions = fs.readdirSync(base).filter(v => fs.existsSync(path.join(base, v, 'bin', 'postgres')));
  if (!versions.length) throw new Error(`no PostgreSQL server binaries under ${base}`);
  versions.sort((a, b) => Number(b) - Number(a));
  return { bin: path.join(base, versions[0], 'bin'), version: versions[0] };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

// PostgreSQL refuses to run as root: run it as the Debian 'postgres' user then.
function asPgUser(cmd, args) {
  if (process.getuid?.() === 0) return ['runuser', ['-u', 'postgres', '--', cmd, ...args]];
  return [cmd, args];
}

async function waitReady(bin, port, deadlineMs) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    try {
      execFileSync(path.join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
      return;
    } catch {
      if (Date.now() > end) throw new Error(`PostgreSQL did not become ready on port ${port}`);
      await new Promise(r => setTimeout(r, 200));
    }
  }
}

export async function startPostgres(stateDir) {
  const { bin, version } = pgBinDir();
  fs.mkdirSync(stateDir, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'swb-pg-'));
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dataDir]);
  const [c1, a1] = asPgUser(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  execFileSync(c1, a1, { stdio: 'ignore' });
  const port = await freePort();
  const logFile = path.join(dataDir, 'postgres.log');
  const [c2, a2] = asPgUser(path.join(bin, 'postgres'), [
    '-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1',
    '-c', `unix_socket_directories=${dataDir}`, '-c', 'fsync=off', '-c', 'max_connections=200',
  ]);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(c2, a2, { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  await waitReady(bin, port, 30000);
  const connection = `postgresql://postgres@127.0.0.1:${port}`;
  const state = { pid: child.pid, dataDir, port, version, connection };
  fs.writeFileSync(path.join(stateDir, 'postgres.json'), JSON.stringify(state, null, 2));
  return state;
}

export async function stopPostgres(stateDir) {
  const file = path.join(stateDir, 'postgres.json');
  if (!fs.existsSync(file)) return;
  const { pid, dataDir } = JSON.parse(fs.readFileSync(file, 'utf8'));
  // runuser keeps the server as its child; SIGTERM to the process group ends both
  try { process.kill(-pid, 'SIGTERM'); } catch { try { process.kill(pid, 'SIGTERM'); } catch {} }
  const end = Date.now() + 15000;
  while (Date.now() < end) {
    try { process.kill(pid, 0); } catch { break; }
    await new Promise(r => setTimeout(r, 100));
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(file);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [cmd, stateDir = '.local-cluster/postgres'] = process.argv.slice(2);
  if (cmd === 'start') {
    const s = await startPostgres(stateDir);
    console.log(s.connection);
  } else if (cmd === 'stop') {
    await stopPostgres(stateDir);
  } else {
    console.error('usage: postgres.mjs start|stop <stateDir>');
    process.exit(2);
  }
}

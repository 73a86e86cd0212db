/*
 * The local image factory (tools/images/build.sh) on its smallest image, the
 * pause image, in a cache of its own: what it writes, that a warm run builds
 * nothing, and that two runs at once build once.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const script = path.resolve(__dirname, '../../../tools/images/build.sh');
let cache: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function build(...args: string[]): Promise<Run> {
  return new Promise(resolve => {
    const child = spawn('bash', [script, ...args], { env: { ...process.env, SWB_CACHE: cache } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', d => (stdout += d));
    child.stderr.on('data', d => (stderr += d));
    child.on('close', code => resolve({ code, stdout, stderr }));
  });
}

const tarFile = (archive: string, member: string) => execFileSync('tar', ['-xOf', archive, member]).toString();

beforeEach(() => {
  cache = fs.mkdtempSync(path.join(os.tmpdir(), 'image-factory-'));
});
afterEach(() => fs.rmSync(cache, { recursive: true, force: true }));

describe('tools/images/build.sh', () => {
  it('writes the pause image as a docker archive under its kubelet name, and a second run rebuilds nothing', async () => {
    const first = await build('pause');
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('building registry.k8s.io/pause:3.10.1');
    const [name, archive] = first.stdout.trim().split('\t');
    expect(name).toBe('registry.k8s.io/pause:3.10.1');
    expect(archive.startsWith(path.join(cache, 'images', 'pause'))).toBe(true);

    const [manifest] = JSON.parse(tarFile(archive, 'manifest.json'));
    expect(manifest.RepoTags).toEqual(['registry.k8s.io/pause:3.10.1']);
    const config = JSON.parse(tarFile(archive, manifest.Config));
    expect(config.config).toMatchObject({ Entrypoint: ['/pause'], User: '65535:65535' });
    expect(manifest.Layers).toHaveLength(1);
    const layer = path.join(cache, 'layer.tar');
    fs.writeFileSync(layer, execFileSync('tar', ['-xOf', archive, manifest.Layers[0]], { maxBuffer: 64 << 20 }));
    expect(execFileSync('tar', ['-tvf', layer]).toString()).toMatch(/^-rwxr-xr-x 0\/0 .* pause\n$/);

    const mtime = fs.statSync(archive).mtimeMs;
    const second = await build('pause');
    expect(second.code).toBe(0);
    expect(second.stderr).not.toContain('building');
    expect(second.stdout).toBe(first.stdout);
    expect(fs.statSync(archive).mtimeMs).toBe(mtime);
  }, 120_000);

  it('builds once when two runs start together: the second waits and finds the image', async () => {
    const [a, b] = await Promise.all([build('pause'), build('pause')]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.stdout).toBe(b.stdout);
    expect([a.stderr, b.stderr].filter(e => e.includes('building registry.k8s.io/pause')).length).toBe(1);
  }, 120_000);

  it('refuses an unknown image id, naming the known ones, and builds nothing', async () => {
    const run = await build('no-such-image');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown image 'no-such-image' \(known: .*demo-shop.*pause.*\)/);
    expect(fs.existsSync(path.join(cache, 'images'))).toBe(false);
  });

  it('lists the image names without building them', async () => {
    const run = await build('--list', 'pause', 'demo-shop');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('registry.k8s.io/pause:3.10.1\nskywalking-backstage/demo-shop:0.1.0\n');
    expect(fs.existsSync(path.join(cache, 'images'))).toBe(false);
  });
});

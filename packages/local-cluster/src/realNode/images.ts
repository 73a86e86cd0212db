import { execFileSync } from 'node:child_process';
import { imageFactoryScript } from '../binaries';

/** Images every real node gets: the pod sandbox, the cluster DNS, and the demo shop. */
export const DEFAULT_REAL_NODE_IMAGES = ['pause', 'coredns', 'demo-shop'];

export interface BuiltImage {
  name: string;
  /** docker-archive tar for `ctr images import` */
  archive: string;
}

/**
 * Builds (or finds in the cache) the given images of the local image factory
 * (tools/images/build.sh): minutes on a cold cache, about a second warm.
 */
export function buildImages(ids: string[], log: (m: string) => void = () => {}): BuiltImage[] {
  const t0 = Date.now();
  const out = execFileSync('bash', [imageFactoryScript, ...ids], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  const images = out
    .split('\n')
    .filter(l => l.includes('\t'))
    .map(l => {
      const [name, archive] = l.split('\t');
      return { name, archive };
    });
  if (images.length !== ids.length) throw new Error(`tools/images/build.sh ${ids.join(' ')} printed ${images.length} images, expected ${ids.length}`);
  log(`images ${images.map(i => i.name).join(', ')} ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return images;
}

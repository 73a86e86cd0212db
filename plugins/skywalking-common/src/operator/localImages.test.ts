import { execFileSync } from 'child_process';
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import YAML from 'yaml';
import { DEFAULT_SKYWALKING_VERSION, LOCALLY_BUILDABLE_OAP_VERSIONS } from './localImages';
import { renderOAPServer } from './render';

const IMAGES = join(__dirname, '../../../../tools/images');

describe('LOCALLY_BUILDABLE_OAP_VERSIONS', () => {
  it('lists exactly the OAP versions the image factory has recipes for', () => {
    const versions = readdirSync(join(IMAGES, 'recipes'))
      .filter(f => /^oap-.*\.sh$/.test(f))
      .map(f => /^OAP_VERSION=(\S+)$/m.exec(readFileSync(join(IMAGES, 'recipes', f), 'utf8'))?.[1] ?? `${f}: no OAP_VERSION`);
    expect([...versions].sort()).toEqual([...LOCALLY_BUILDABLE_OAP_VERSIONS].sort());
  });

  it('names the images the factory builds as renderOAPServer renders them for each version', () => {
    const built = execFileSync('bash', [join(IMAGES, 'build.sh'), '--list'], { encoding: 'utf8' }).trim().split('\n');
    for (const version of LOCALLY_BUILDABLE_OAP_VERSIONS) {
      const objs = renderOAPServer({
        apiVersion: 'operator.skywalking.apache.org/v1alpha1',
        kind: 'OAPServer',
        metadata: { name: 'demo', namespace: 'sw' },
        spec: { version, instances: 1 },
      });
      const image = objs.find(o => o.kind === 'Deployment')!.spec.template.spec.containers[0].image;
      expect(built).toContain(image);
    }
  });
});

describe('the SkyWalking versions the portal offers', () => {
  const template = YAML.parse(readFileSync(join(__dirname, '../../../../examples/templates/skywalking-backend/template.yaml'), 'utf8'));
  const version = template.spec.parameters.find((p: any) => p.properties?.version).properties.version;

  it('defaults to a version the local image factory builds', () => {
    expect(LOCALLY_BUILDABLE_OAP_VERSIONS).toContain(DEFAULT_SKYWALKING_VERSION);
    expect(version.default).toBe(DEFAULT_SKYWALKING_VERSION);
  });

  it('offers the versions the factory builds in the template, and still accepts others', () => {
    expect([...version.examples].sort()).toEqual([...LOCALLY_BUILDABLE_OAP_VERSIONS].sort());
    expect(version.enum).toBeUndefined();
    expect(new RegExp(version.pattern).test('10.3.0')).toBe(true);
  });
});

import https from 'node:https';
import fc from 'fast-check';
import { applyPatch } from 'fast-json-patch';
import { mockServices } from '@backstage/backend-test-utils';
import { admit } from './admission';
import { generateServingCertificate } from './certificates';
import { admissionMutator } from './podMutator';
import { MUTATE_PODS_PATH, WebhookServer } from './server';
import { admissionReviewBody } from './__testUtils__/admissionArbitraries';

jest.setTimeout(180_000);

const elapsed = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
// CPU time for in-process work: wall time on a loaded two-core CI machine measures the other processes
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** What a clean answer is: a 4xx refusal with a reason, or an allowed AdmissionResponse for this uid with at most a valid patch. */
function checkAnswer(body: string, status: number, text: string) {
  const json = JSON.parse(text);
  if (status !== 200) {
    expect([400, 413]).toContain(status);
    expect(json.error).toEqual(expect.any(String));
    return 'refused';
  }
  const request = JSON.parse(body).request;
  expect(json).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: request.uid, allowed: true } });
  const { patch, patchType } = json.response;
  expect(patch === undefined || patchType === 'JSONPatch').toBe(true);
  const ops = patch === undefined ? [] : JSON.parse(Buffer.from(patch, 'base64').toString());
  // the patch applies to the pod the API server holds (validated, as the API server applies it)
  applyPatch(JSON.parse(JSON.stringify(request.object ?? null)), ops, true);
  return ops.length ? 'patched' : 'unchanged';
}

describe('admission over generated AdmissionReviews', () => {
  it('answers every body in bounded time with a 4xx or an allowed response with at most a valid patch, never throwing', async () => {
    const seen = { refused: 0, patched: 0, unchanged: 0 };
    await fc.assert(
      fc.asyncProperty(admissionReviewBody, async body => {
        const t0 = cpuMs();
        const a = await admit(body, admissionMutator);
        expect(cpuMs() - t0).toBeLessThan(200);
        // not even a caught exception: the mutator handles every shape
        expect(a.outcome).not.toBe('error');
        seen[checkAnswer(body, a.status, a.text)]++;
      }),
      { numRuns: 500 },
    );
    // every kind of answer is exercised
    expect(Math.min(seen.refused, seen.patched, seen.unchanged)).toBeGreaterThan(20);
  });
});

describe('the webhook server over generated AdmissionReviews', () => {
  const cert = generateServingCertificate({ commonName: 'wh', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validityMs: 3600_000 });
  // the portal's own mutator in worker threads, as plugin.ts runs it
  const server = new WebhookServer({ host: '127.0.0.1', port: 0, certPem: cert.certPem, keyPem: cert.keyPem, logger: mockServices.logger.mock(), deadlineMs: 4000 });
  const agent = new https.Agent({ keepAlive: true, ca: cert.caPem, maxSockets: 4 });
  let port = 0;
  beforeAll(async () => {
    port = await server.start();
  });
  afterAll(async () => {
    agent.destroy();
    await server.stop();
  });

  const post = (body: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port, path: MUTATE_PODS_PATH, method: 'POST', agent, headers: { 'content-type': 'application/json' } }, res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end(body);
    });

  it('answers every body over HTTPS within the deadline, never with a 5xx, and no worker has to be replaced', async () => {
    await fc.assert(
      fc.asyncProperty(admissionReviewBody, async body => {
        const t0 = process.hrtime.bigint();
        const r = await post(body);
        // the deadline answers anything slower; a hang would exceed it
        expect(elapsed(t0)).toBeLessThan(5000);
        expect(r.status).toBeLessThan(500);
        checkAnswer(body, r.status, r.text);
      }),
      { numRuns: 150 },
    );
    expect(server.admissionPool!.replaced).toBe(0);
  });
});

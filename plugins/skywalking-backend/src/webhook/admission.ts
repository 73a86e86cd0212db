/**
 * AdmissionReview (admission.k8s.io/v1) handling, kept pure: parse and check
 * the body, call the mutation, build the response. The HTTP server around it
 * only moves bytes. Every refusal names what is wrong; nothing here throws
 * for bad input.
 */

export const MAX_ADMISSION_BODY_BYTES = 3 * 1024 * 1024; // the API server's own request limit is 3 MiB

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource?: { group: string; version: string; resource: string };
  namespace?: string;
  operation: string;
  object?: any;
  dryRun?: boolean;
}

export interface JsonPatchOp {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

export interface MutationResult {
  patch: JsonPatchOp[];
  /** shown to kubectl users as admission warnings */
  warnings?: string[];
}

export type Mutator = (pod: any, request: AdmissionRequest) => Promise<MutationResult> | MutationResult;

export type ParseResult =
  | { ok: true; request: AdmissionRequest }
  | { ok: false; status: number; message: string };

/** Checks an AdmissionReview body. A 4xx result is answered as an HTTP error. */
export function parseAdmissionReview(body: string | Buffer): ParseResult {
  if (body.length > MAX_ADMISSION_BODY_BYTES) {
    return { ok: false, status: 413, message: `AdmissionReview body of ${body.length} bytes exceeds ${MAX_ADMISSION_BODY_BYTES}` };
  }
  let doc: any;
  try {
    doc = JSON.parse(body.toString());
  } catch (e: any) {
    return { ok: false, status: 400, message: `AdmissionReview body is not JSON: ${e.message}` };
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    return { ok: false, status: 400, message: 'AdmissionReview body must be a JSON object' };
  }
  if (doc.kind !== 'AdmissionReview') {
    return { ok: false, status: 400, message: `expected kind AdmissionReview, got ${JSON.stringify(doc.kind)}` };
  }
  if (doc.apiVersion !== 'admission.k8s.io/v1') {
    return { ok: false, status: 400, message: `unsupported apiVersion ${JSON.stringify(doc.apiVersion)}; this webhook speaks admission.k8s.io/v1` };
  }
  const r = doc.request;
  if (!r || typeof r !== 'object') return { ok: false, status: 400, message: 'AdmissionReview has no request' };
  if (typeof r.uid !== 'string' || !r.uid) return { ok: false, status: 400, message: 'request.uid is missing' };
  if (!r.kind || typeof r.kind.kind !== 'string') return { ok: false, status: 400, message: 'request.kind is missing' };
  if (typeof r.operation !== 'string') return { ok: false, status: 400, message: 'request.operation is missing' };
  return { ok: true, request: r as AdmissionRequest };
}

function allow(uid: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid, allowed: true, ...extra },
  };
}

/**
 * Answers one admission request. Injection never blocks a pod: anything that
 * is not a Pod CREATE, and any mutation failure, is allowed unchanged with a
 * warning (the webhook is registered with failurePolicy Ignore as well).
 */
export async function review(request: AdmissionRequest, mutate: Mutator) {
  const isPod = request.kind.group === '' && request.kind.kind === 'Pod';
  if (!isPod || request.operation !== 'CREATE') {
    return { review: allow(request.uid), injected: false, skipped: `not a Pod CREATE (${request.kind.kind} ${request.operation})` };
  }
  if (!request.object || typeof request.object !== 'object' || !request.object.spec) {
    return { review: allow(request.uid, { warnings: ['skywalking: pod without spec, not injected'] }), injected: false, skipped: 'no pod spec' };
  }
  try {
    const { patch, warnings } = await mutate(request.object, request);
    if (!patch.length) {
      return { review: allow(request.uid, warnings?.length ? { warnings } : {}), injected: false, skipped: 'nothing to change' };
    }
    return {
      review: allow(request.uid, {
        patchType: 'JSONPatch',
        patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
        ...(warnings?.length ? { warnings } : {}),
      }),
      injected: true,
    };
  } catch (e: any) {
    return {
      review: allow(request.uid, { warnings: [`skywalking: agent not injected: ${e.message}`] }),
      injected: false,
      error: e.message as string,
    };
  }
}

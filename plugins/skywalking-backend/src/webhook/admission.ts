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

export type Mutator = (pod: any, request?: AdmissionRequest) => Promise<MutationResult> | MutationResult;

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

export type AdmissionOutcome = 'injected' | 'skipped' | 'refused' | 'error';

/** One answered request, serialized: what the HTTP server writes back. */
export interface AdmissionAnswer {
  status: number;
  /** the JSON body */
  text: string;
  outcome: AdmissionOutcome;
  uid?: string;
  /** `<namespace>/<pod name>` for logs and traces */
  key?: string;
  /** a line for the portal's log: the refusal or mutation error */
  warning?: string;
}

const answer = (status: number, body: unknown, outcome: AdmissionOutcome, extra: Partial<AdmissionAnswer> = {}): AdmissionAnswer => ({
  status,
  text: JSON.stringify(body),
  outcome,
  ...extra,
});

/**
 * parse -> review -> mutate -> serialize for one request body; what an
 * admission worker thread runs. `onParsed` hears the uid as soon as it is
 * known, so that the server can still answer the request if the mutation
 * overruns its deadline. Never throws.
 */
export async function admit(body: string | Buffer, mutate: Mutator, onParsed?: (uid: string) => void): Promise<AdmissionAnswer> {
  const parsed = parseAdmissionReview(body);
  if (!parsed.ok) return answer(parsed.status, { error: parsed.message }, 'refused', { warning: `refused admission request: ${parsed.message}` });
  const { request } = parsed;
  onParsed?.(request.uid);
  const meta = request.object?.metadata;
  const key = `${typeof request.namespace === 'string' ? request.namespace : ''}/${String(meta?.name ?? meta?.generateName ?? '?').slice(0, 253)}`;
  try {
    const r = await review(request, mutate);
    let outcome: AdmissionOutcome = r.injected ? 'injected' : 'skipped';
    if (r.error) outcome = 'error';
    return answer(200, r.review, outcome, { uid: request.uid, key, ...(r.error ? { warning: `admission ${key}: ${r.error}` } : {}) });
  } catch (e: any) {
    // review() catches the mutator's errors; this is a failure to build or serialize the answer
    return answer(200, allowedWithoutPatch(request.uid, `skywalking: agent not injected: ${e?.message ?? e}`), 'error', {
      uid: request.uid,
      key,
      warning: `admission ${key} failed: ${e?.message ?? e}`,
    });
  }
}

/** failurePolicy Ignore, answered by us: the pod is admitted unchanged, with the reason as a warning. */
export function allowedWithoutPatch(uid: string, warning: string) {
  return allow(uid, { warnings: [warning] });
}

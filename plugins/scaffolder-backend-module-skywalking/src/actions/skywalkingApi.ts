import {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
} from '@backstage/backend-plugin-api';

/** Thrown with the API's field errors so the task log names each invalid input. */
export class SkyWalkingApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly fields: { path: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'SkyWalkingApiError';
  }
}

/** Calls the skywalking backend plugin on behalf of the template's initiator. */
export class SkyWalkingApiCaller {
  constructor(
    private readonly deps: { discovery: DiscoveryService; auth: AuthService },
  ) {}

  async call<T>(
    credentials: BackstageCredentials,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T> {
    const base = await this.deps.discovery.getBaseUrl('skywalking');
    const { token } = await this.deps.auth.getPluginRequestToken({
      onBehalfOf: credentials,
      targetPluginId: 'skywalking',
    });
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const fields = json?.fields ?? [];
      const detail = fields.length
        ? fields.map((f: any) => `${f.path}: ${f.message}`).join('; ')
        : json?.error?.message ?? text;
      throw new SkyWalkingApiError(`${method} ${path} failed (${res.status}): ${detail}`, res.status, fields);
    }
    return json as T;
  }
}

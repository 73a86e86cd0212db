import http from 'node:http';
import { AddressInfo } from 'node:net';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { SkyWalkingApiCaller } from '../actions/skywalkingApi';

export interface RecordedCall {
  method: string;
  url: string;
  body: any;
  auth?: string;
}

/**
 * A recording HTTP endpoint standing in for the skywalking plugin's REST API:
 * the action tests check what the actions send and how they read the answers.
 */
export function recordingApi(answer: (req: { method: string; url: string; body: any }) => { status: number; body: unknown }) {
  const calls: RecordedCall[] = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', c => (data += c));
    req.on('end', () => {
      const call = { method: req.method!, url: req.url!, body: data ? JSON.parse(data) : undefined, auth: req.headers.authorization };
      calls.push(call);
      const a = answer(call);
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(a.body));
    });
  });
  return {
    calls,
    async start() {
      await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
      const { port } = server.address() as AddressInfo;
      return new SkyWalkingApiCaller({
        discovery: { getBaseUrl: async () => `http://127.0.0.1:${port}/api/skywalking`, getExternalBaseUrl: async () => '' },
        auth: mockServices.auth(),
      });
    },
    stop: () => new Promise<void>(r => server.close(() => r())),
  };
}

/** An action context whose initiator is the guest user. */
export const guestContext = (input: any): any =>
  createMockActionContext({ input, getInitiatorCredentials: async () => mockCredentials.user('user:default/guest') } as any);

/*
 * The messages as OAP receives them: a gRPC server on loopback implementing
 * EBPFAccessLogService from the same upstream .proto decodes what the
 * sender streams (a receiver of our own, standing where OAP stands; the
 * real-OAP test is plugins/skywalking-backend/src/realSkyWalking/roverStandIn.test.ts).
 */
import * as net from 'net';
import * as grpc from '@grpc/grpc-js';
import { accessLogClientConstructor, accessLogService } from './protocol';
import { NodeView, ServingProcess, requestMessage } from './messages';
import { AccessLogSender } from './sender';
import { parseShopLine } from './shopLog';

const BOOT_NS = BigInt(Date.UTC(2026, 11, 2, 8, 0, 0)) * 1_000_000n;
const node: NodeView = { name: 'real-node-0', bootNs: BOOT_NS, clusterName: 'local' };
const orders: ServingProcess = { serviceName: 'local::shop-orders.shop', podName: 'shop-orders-7d9-abc', containerName: 'orders', processName: 'java', port: 8080 };
const line = (path: string, status = 200, from = '10.244.0.7') =>
  parseShopLine(`2026-12-02T14:32:40.567Z service=orders event=request method=GET path=${path} status=${status} from=${from} ms=3`)!;

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>(r => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise(r => srv.close(r));
  return port;
}

/** A receiver: records each stream's decoded messages. */
async function startReceiver(port: number) {
  const streams: any[][] = [];
  const server = new grpc.Server();
  server.addService(accessLogService(), {
    collect: (call: grpc.ServerReadableStream<any, any>, cb: grpc.sendUnaryData<any>) => {
      const got: any[] = [];
      call.on('data', m => got.push(m));
      call.on('end', () => {
        streams.push(got);
        cb(null, {});
      });
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), e => (e ? reject(e) : resolve())),
  );
  return { streams, stop: () => new Promise<void>(r => server.tryShutdown(() => r())) };
}

const eventually = async (what: string, check: () => boolean, ms = 20_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 50));
  }
};

describe('AccessLogSender', () => {
  const logs: string[] = [];
  const log = (m: string) => logs.push(m);
  let client: grpc.Client;
  let sender: AccessLogSender | undefined;
  afterEach(async () => {
    await sender?.stop();
    client?.close();
    logs.length = 0;
  });

  it('streams Rover messages that decode with the protocol: node first, server-side HTTP access logs with a Kubernetes local end and an IP remote end', async () => {
    const port = await freePort();
    const receiver = await startReceiver(port);
    try {
      client = new (accessLogClientConstructor())(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      sender = new AccessLogSender({ client, node, log, batchIntervalMs: 50 });
      sender.send(requestMessage(node, orders, line('/orders')));
      sender.send(requestMessage(node, orders, line('/orders', 502, '10.244.0.8')));
      await eventually('two access logs delivered', () => sender!.stats().delivered === 2);
      const got = receiver.streams.flat();
      expect(got).toHaveLength(2);
      const [first, second] = got;
      expect(first.node).toEqual({
        name: 'real-node-0',
        bootTime: { seconds: String(BOOT_NS / 1_000_000_000n), nanos: 0 },
        clusterName: 'local',
      });
      // node info once per stream, as OAP keeps it for the stream
      expect(receiver.streams.every(s => s[0].node && s.slice(1).every(m => !m.node))).toBe(true);
      expect(first.connection).toMatchObject({
        local: { kubernetes: { serviceName: 'local::shop-orders.shop', podName: 'shop-orders-7d9-abc', containerName: 'orders', processName: 'java', port: 8080 } },
        remote: { ip: { host: '10.244.0.7' } },
        role: 'server',
        tlsMode: 'Plain',
        protocol: 'HTTP_1',
      });
      const endOffset = (BigInt(Date.UTC(2026, 11, 2, 14, 32, 40, 567)) * 1_000_000n - BOOT_NS).toString();
      const startOffset = (BigInt(endOffset) - 3_000_000n).toString();
      expect(first.protocolLog.http).toMatchObject({
        startTime: { offset: { offset: startOffset } },
        endTime: { offset: { offset: endOffset } },
        request: { method: 'Get', path: '/orders' },
        response: { statusCode: 200 },
      });
      expect(first.kernelLogs).toHaveLength(2);
      expect(first.kernelLogs).toMatchObject([
        { read: { startTime: { offset: { offset: startOffset } }, endTime: { offset: { offset: startOffset } }, syscall: 'Read' } },
        { write: { startTime: { offset: { offset: endOffset } }, endTime: { offset: { offset: endOffset } }, syscall: 'Write' } },
      ]);
      expect(second.connection.remote.ip.host).toBe('10.244.0.8');
      expect(second.protocolLog.http.response.statusCode).toBe(502);
    } finally {
      await receiver.stop();
    }
  });

  it('does not wait on an OAP that is down: buffers within its bound, counts and logs the drops, delivers the rest once OAP is up', async () => {
    const port = await freePort();
    client = new (accessLogClientConstructor())(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    sender = new AccessLogSender({ client, node, log, maxBuffered: 3, batchIntervalMs: 50, minBackoffMs: 100, maxBackoffMs: 400 });
    const started = Date.now();
    for (const p of ['/1', '/2', '/3', '/4', '/5']) sender.send(requestMessage(node, orders, line(p)));
    expect(Date.now() - started).toBeLessThan(100);
    expect(sender.stats()).toMatchObject({ dropped: 2, buffered: 3, delivered: 0 });
    expect(logs.some(l => /dropped 1 access logs \(buffer full at 3/.test(l))).toBe(true);
    await eventually('a failed batch', () => sender!.stats().failedBatches > 0);
    expect(sender.stats()).toMatchObject({ connected: false, buffered: 3, delivered: 0 });
    expect(logs.some(l => /OAP did not take 3 access logs \(UNAVAILABLE/.test(l))).toBe(true);

    const receiver = await startReceiver(port);
    try {
      await eventually('the buffered access logs delivered', () => sender!.stats().delivered === 3);
      // the oldest went, the newest arrived in order
      expect(receiver.streams.flat().map(m => m.protocolLog.http.request.path)).toEqual(['/3', '/4', '/5']);
      expect(sender.stats()).toMatchObject({ connected: true, buffered: 0, dropped: 2 });
      expect(logs.some(l => /OAP takes access logs again/.test(l))).toBe(true);
    } finally {
      await receiver.stop();
    }
  });

  it('counts what is still buffered at stop as dropped', async () => {
    const port = await freePort();
    client = new (accessLogClientConstructor())(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    sender = new AccessLogSender({ client, node, log, minBackoffMs: 60_000 });
    sender.send(requestMessage(node, orders, line('/1')));
    await eventually('a failed batch', () => sender!.stats().failedBatches > 0);
    await sender.stop();
    expect(sender.stats()).toMatchObject({ dropped: 1, buffered: 0, delivered: 0 });
    expect(logs.some(l => /stopped with 1 access logs not sent to OAP \(dropped\)/.test(l))).toBe(true);
    sender = undefined;
  });
});

describe('requestMessage', () => {
  it('refuses a method Rover has no name for, and an instant before the node booted', () => {
    const r = line('/x');
    expect(() => requestMessage(node, orders, { ...r, method: 'PROPFIND' })).toThrow(/method "PROPFIND"/);
    expect(() => requestMessage({ ...node, bootNs: r.endNs + 1n }, orders, r)).toThrow(/before the node's boot time/);
  });
});

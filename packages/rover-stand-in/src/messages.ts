/**
 * Rover's messages for one request the shop served, built as Rover builds
 * them (apache/skywalking-rover pkg/accesslog): the local end is the
 * Kubernetes process that served it, the remote end the peer's IP address
 * (OAP resolves it to a pod and its Service through the Kubernetes API),
 * role server, HTTP/1 with the request/response protocol log. What OAP 10.1.0
 * reads of them: oap-server/server-receiver-plugin/skywalking-ebpf-receiver-plugin
 * AccessLogServiceHandler (time buckets from bootTime + offset, durations
 * from offset differences, endpoint METHOD:path, success = status < 500).
 */
import type {
  AccessLogConnection,
  AccessLogHTTPProtocol,
  EBPFAccessLogMessage,
  EBPFAccessLogNodeInfo,
  EBPFTimestamp,
} from './protocol';
import type { ShopRequest } from './shopLog';

/** The serving container as Rover's Kubernetes process discovery names it. */
export interface ServingProcess {
  /** `[cluster::]<service>.<namespace>` (Rover's K8S_SERVICE service_name) */
  serviceName: string;
  podName: string;
  containerName: string;
  /** the executable's name (Rover: {{.Process.ExeName}}) */
  processName: string;
  /** the port the container serves on */
  port: number;
}

/** One node's view: Rover runs one per node and sends its name, boot time and the cluster name. */
export interface NodeView {
  name: string;
  /** boot time, nanoseconds since the epoch: every timestamp is an offset from it */
  bootNs: bigint;
  clusterName: string;
}

/** Rover's method enum (AccessLogHTTPProtocolRequestMethod). */
const METHODS: Record<string, string> = {
  GET: 'Get',
  POST: 'Post',
  PUT: 'Put',
  DELETE: 'Delete',
  HEAD: 'Head',
  PATCH: 'Patch',
  OPTIONS: 'Options',
  TRACE: 'Trace',
  CONNECT: 'Connect',
};

/**
 * Rover's service name for a pod's Service: `<service>.<namespace>`, with
 * `<cluster>::` in front when a cluster name is set (Rover's
 * process_discovery kubernetes analyzer K8S_SERVICE and its finder).
 */
export function roverServiceName(service: string, namespace: string, cluster?: string): string {
  const name = `${service}.${namespace}`;
  return cluster ? `${cluster}::${name}` : name;
}

export function nodeInfo(node: NodeView): EBPFAccessLogNodeInfo {
  return {
    name: node.name,
    // interfaces are used only to name the device of L2 metrics, which this stand-in has none of
    netInterfaces: [],
    bootTime: { seconds: String(node.bootNs / 1_000_000_000n), nanos: Number(node.bootNs % 1_000_000_000n) },
    clusterName: node.clusterName,
  };
}

/** An instant as Rover's offset from the node's boot time; an instant before boot is out of range. */
export function offsetFromBoot(node: NodeView, ns: bigint): EBPFTimestamp {
  const offset = ns - node.bootNs;
  if (offset < 0n) throw new Error(`instant ${ns} ns lies before the node's boot time ${node.bootNs} ns`);
  return { offset: { offset: offset.toString() } };
}

/**
 * The access-log message of one served request. Its kernel logs are the
 * request's read and the response's write (the operations Rover relates to
 * a protocol log), as zero-length operations at the request's start and end:
 * a log line knows neither syscall timings nor packet metrics. The node
 * info goes on the first message of each stream (the sender adds it).
 */
export function requestMessage(node: NodeView, local: ServingProcess, req: ShopRequest): EBPFAccessLogMessage {
  const method = METHODS[req.method.toUpperCase()];
  if (!method) throw new Error(`request line: method ${JSON.stringify(req.method)} is not one Rover's protocol has`);
  const start = offsetFromBoot(node, req.startNs);
  const end = offsetFromBoot(node, req.endNs);
  const connection: AccessLogConnection = {
    local: { kubernetes: { ...local } },
    remote: { ip: { host: req.from, port: 0 } },
    role: 'server',
    tlsMode: 'Plain',
    protocol: 'HTTP_1',
  };
  const http: AccessLogHTTPProtocol = {
    startTime: start,
    endTime: end,
    version: 'HTTP1',
    request: { method, path: req.path, sizeOfHeadersBytes: '0', sizeOfBodyBytes: '0' },
    response: { statusCode: req.status, sizeOfHeadersBytes: '0', sizeOfBodyBytes: '0' },
  };
  return {
    connection,
    kernelLogs: [
      { read: { startTime: start, endTime: start, syscall: 'Read' } },
      { write: { startTime: end, endTime: end, syscall: 'Write' } },
    ],
    protocolLog: { http },
  };
}

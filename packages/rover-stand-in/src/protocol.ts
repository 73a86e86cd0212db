/**
 * Rover's access-log protocol, loaded at run time from the upstream .proto
 * files kept in third_party/apache-skywalking-data-collect-protocol (the
 * commit OAP 10.1.0 is built with): no generated code, the same field names.
 */
import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_ROOT = path.resolve(
  // runs from source (bin/ registers the transform), never from a build
  // eslint-disable-next-line no-restricted-syntax
  __dirname,
  '../../../third_party/apache-skywalking-data-collect-protocol/v10.1.0',
);
export const ACCESS_LOG_PROTO = 'ebpf/accesslog.proto';

/** Field names as in the .proto, enums as their names, 64-bit integers as decimal strings. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

let cached: protoLoader.PackageDefinition | undefined;

export function accessLogPackageDefinition(): protoLoader.PackageDefinition {
  if (!cached) cached = protoLoader.loadSync(ACCESS_LOG_PROTO, LOADER_OPTIONS);
  return cached;
}

/** The gRPC service definition of skywalking.v3.EBPFAccessLogService. */
export function accessLogService(): grpc.ServiceDefinition {
  const def = grpc.loadPackageDefinition(accessLogPackageDefinition()) as any;
  return def.skywalking.v3.EBPFAccessLogService.service;
}

/** A client constructor for skywalking.v3.EBPFAccessLogService. */
export function accessLogClientConstructor(): grpc.ServiceClientConstructor {
  const def = grpc.loadPackageDefinition(accessLogPackageDefinition()) as any;
  return def.skywalking.v3.EBPFAccessLogService;
}

// The messages this stand-in sends, as plain objects in proto-loader's shape.

export interface EBPFTimestamp {
  offset: { offset: string };
}

export interface KubernetesProcessAddress {
  serviceName: string;
  podName: string;
  containerName: string;
  processName: string;
  port: number;
}

export type ConnectionAddress =
  | { kubernetes: KubernetesProcessAddress }
  | { ip: { host: string; port: number } };

export interface EBPFAccessLogNodeInfo {
  name: string;
  netInterfaces: { index: number; mtu: number; name: string }[];
  bootTime: { seconds: string; nanos: number };
  clusterName: string;
}

export interface AccessLogConnection {
  local: ConnectionAddress;
  remote: ConnectionAddress;
  role: 'client' | 'server' | 'proxy';
  tlsMode: 'Plain' | 'TLS';
  protocol: 'TCP' | 'HTTP_1' | 'HTTP_2';
}

export type AccessLogKernelLog =
  | { read: { startTime: EBPFTimestamp; endTime: EBPFTimestamp; syscall: string } }
  | { write: { startTime: EBPFTimestamp; endTime: EBPFTimestamp; syscall: string } };

export interface AccessLogHTTPProtocol {
  startTime: EBPFTimestamp;
  endTime: EBPFTimestamp;
  version: 'HTTP1' | 'HTTP2';
  request: { method: string; path: string; sizeOfHeadersBytes: string; sizeOfBodyBytes: string };
  response: { statusCode: number; sizeOfHeadersBytes: string; sizeOfBodyBytes: string };
}

export interface EBPFAccessLogMessage {
  node?: EBPFAccessLogNodeInfo;
  connection?: AccessLogConnection;
  kernelLogs?: AccessLogKernelLog[];
  protocolLog?: { http: AccessLogHTTPProtocol };
}

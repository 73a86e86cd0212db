/**
 * A stand-in for SkyWalking Rover (whose eBPF cannot load on this kernel):
 * the demo shop's request lines, from its pods' logs, streamed to OAP over
 * Rover's access-log protocol.
 */
export { startRoverStandIn, hostBootNs } from './standIn';
export type { RoverStandIn, RoverStandInOptions, RoverStandInStats } from './standIn';
export { parseShopLine } from './shopLog';
export type { ShopRequest } from './shopLog';
export { requestMessage, roverServiceName } from './messages';
export type { NodeView, ServingProcess } from './messages';
export { AccessLogSender } from './sender';
export type { SenderOptions, SenderStats } from './sender';
export { accessLogService, accessLogClientConstructor, accessLogPackageDefinition, PROTO_ROOT } from './protocol';

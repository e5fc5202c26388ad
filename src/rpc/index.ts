/** Hand-written JSON-RPC runtime: messages, errors, transports, client and dispatcher cores. */
export { ErrorCode, RpcError, isRpcError, type ErrorCodeValue } from "./rpc-error.js";
export {
  DEFAULT_FLOW_HIGH_WATER_BYTES,
  DEFAULT_FLOW_LOW_WATER_BYTES,
  type FlowControl,
  type FlowWaterMarks,
  type MessageTransport,
} from "./message-transport.js";
export { WaterMarkFlow } from "./water-mark-flow.js";
export {
  classifyMessage,
  errorResponse,
  notificationMessage,
  parseMessage,
  requestMessage,
  successResponse,
  type JsonRpcErrorObject,
  type JsonRpcErrorResponse,
  type JsonRpcId,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type JsonRpcSuccessResponse,
  type ParsedMessage,
} from "./json-rpc.js";
export type {
  ClientNotificationMethod,
  Direction,
  MethodDescriptor,
  MethodMapShape,
  MethodShape,
  RequestMethod,
  ServerNotificationMethod,
} from "./method-descriptor.js";
export {
  DEFAULT_TIMEOUT_MS,
  RpcClientCore,
  RpcClientError,
  systemTimers,
  type CallOptions,
  type ClientOptions,
  type NotifyFn,
  type RequestFn,
  type RpcClientErrorKind,
  type Timers,
} from "./client-core.js";
export { createDispatcherCore, toErrorObject, type Dispatcher, type DispatcherOptions, type RequestGate } from "./dispatcher-core.js";
export { createInMemoryTransportPair, type InMemoryTransport, type InMemoryTransportOptions } from "./in-memory-transport.js";
export { describeSchemaError, formatInstancePath, runValidator, type ValidationResult } from "./validation.js";

/** Public surface of the relay layer (frames, reliable streams, multiplexer). */
export {
  type AckFields,
  ackFrame,
  type DataFields,
  dataFrame,
  decodeFrame,
  describeFrame,
  encodeFrame,
  hasAckPresence,
  handshakeFrame,
  heartbeatFrame,
  type ParsedFrame,
  parseFrame,
  RELAY_FRAME_VERSION,
  type RelayData,
  type RelayMessageFrame,
  resetFrame,
  resumeFrame,
  validateFrame,
} from "./frame-codec.js";
export { FrameValidationMessage, INVALID_FRAME_MESSAGE, RelayFrameError, type RelayFrameErrorCode } from "./frame-errors.js";
export { DEFAULT_RELAY_ENDPOINT_OPTIONS, type RelayEndpointOptions, resolveRelayEndpointOptions } from "./relay-options.js";
export type { EndpointRole, PeerCapability } from "./endpoint-step.js";
export { streamEndpointMachine } from "./stream-endpoint-machine.js";
export { RelayStream } from "./relay-stream.js";
export { DEFAULT_MAX_STREAMS, type FrameSocket, RelayMux, type RelayMuxOptions } from "./relay-mux.js";
export { NoiseMux, type NoiseMuxOptions, type NoiseStreamTarget } from "./noise/noise-mux.js";
export { NoiseRelayStream, type AuthorizationRequest, type AuthorizationVerdict } from "./noise/noise-relay-stream.js";
export { DEFAULT_NOISE_LIMITS, type NoiseLimits } from "./noise/noise-options.js";
export { NoiseError, type NoiseErrorCode } from "./noise/noise-error.js";

export { HttpBodyStream, type BodyDeltaSink, type BodyStreamEnd } from "./http-body-stream.js";
export {
  DEFAULT_MAX_BUFFERED_BODY_BYTES,
  DEFAULT_MAX_HTTP_REQUESTS_PER_CONNECTION,
  DEFAULT_MAX_REDIRECTIONS,
  DENIED_HEADER_ENV_VARS,
  MAX_HTTP_BODY_DELTA_BYTES,
  resolveHttpRequestOptions,
  type HttpRequestOptions,
  type ResolvedHttpRequestOptions,
} from "./http-request-options.js";
export { HttpRequestService, type HttpConnection } from "./http-request-service.js";
export { responseHeaders } from "./http-response-headers.js";
export { prepareHttpRequest, type PreparedHttpRequest } from "./prepare-http-request.js";

import { ErrorCode, RpcError } from "../rpc/rpc-error.js";

/**
 * A sandboxed request that cannot be honoured as asked (bubblewrap missing or refused, an
 * unsupported member, a cwd the policy hides, a glob too large to expand): the request is refused,
 * never run with less isolation. Answers -32600; the message starts with `sandbox refused: `.
 */
export class SandboxRefusedError extends RpcError {
  constructor(reason: string) {
    super(ErrorCode.InvalidRequest, `sandbox refused: ${reason}`);
  }
}

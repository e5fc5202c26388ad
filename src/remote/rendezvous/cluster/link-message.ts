import type { RouteSpace } from "./cluster-engine.js";

/**
 * Messages on a node-to-node link (one binary websocket message each):
 * `[kind u8][executor id length u16 BE][executor id UTF-8][relay frame bytes]`.
 * The relay frame is carried as is; nodes read only its envelope, like the router. Kinds 1–3 route
 * seed-era executors, 4–6 codex 0.169 environments (the id is then an environment id).
 */
export const LinkKind = {
  /** A harness frame for the executor attached to the receiving node. */
  toExecutor: 1,
  /** An executor frame for a harness attached to the receiving node. */
  toHarness: 2,
  /** The executor is not attached to the sending node (any more): look it up again. No frame. */
  executorGone: 3,
  /** As `toExecutor`, for an environment's executor. */
  toEnvironment: 4,
  /** As `toHarness`, for a harness of an environment. */
  toEnvironmentHarness: 5,
  /** As `executorGone`, for an environment's executor. */
  environmentGone: 6,
} as const;
export type LinkKind = (typeof LinkKind)[keyof typeof LinkKind];

/** The link kinds of one id space. */
export function linkKindsOf(space: RouteSpace): { toExecutor: LinkKind; toHarness: LinkKind; executorGone: LinkKind } {
  return space === "exec"
    ? { toExecutor: LinkKind.toExecutor, toHarness: LinkKind.toHarness, executorGone: LinkKind.executorGone }
    : { toExecutor: LinkKind.toEnvironment, toHarness: LinkKind.toEnvironmentHarness, executorGone: LinkKind.environmentGone };
}

/** The id space a link kind belongs to. */
export function spaceOf(kind: LinkKind): RouteSpace {
  return kind <= LinkKind.executorGone ? "exec" : "env";
}

/** A decoded link message. */
export interface LinkMessage {
  kind: LinkKind;
  executorId: string;
  frame: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes a link message. @throws RangeError for an executor id over 65 535 bytes. */
export function encodeLinkMessage(kind: LinkKind, executorId: string, frame: Uint8Array = new Uint8Array(0)): Uint8Array {
  const id = encoder.encode(executorId);
  if (id.length > 0xffff) throw new RangeError("executor id too long for a cluster link message");
  const bytes = new Uint8Array(3 + id.length + frame.length);
  bytes[0] = kind;
  bytes[1] = id.length >> 8;
  bytes[2] = id.length & 0xff;
  bytes.set(id, 3);
  bytes.set(frame, 3 + id.length);
  return bytes;
}

/** Decodes a link message; undefined when it is malformed. The frame is a view into `bytes`. */
export function decodeLinkMessage(bytes: Uint8Array): LinkMessage | undefined {
  if (bytes.length < 3) return undefined;
  const kind = bytes[0] as number;
  if (kind < LinkKind.toExecutor || kind > LinkKind.environmentGone) return undefined;
  const idLength = ((bytes[1] as number) << 8) | (bytes[2] as number);
  if (3 + idLength > bytes.length) return undefined;
  let executorId: string;
  try {
    executorId = decoder.decode(bytes.subarray(3, 3 + idLength));
  } catch {
    return undefined;
  }
  return { kind: kind as LinkKind, executorId, frame: bytes.subarray(3 + idLength) };
}

import { isIP } from "node:net";

/** Where the server listens: a websocket address or newline-delimited JSON on stdin/stdout. */
export type ListenTarget =
  | { kind: "ws"; host: string; port: number }
  | { kind: "stdio" };

/** The default `--listen` value: loopback IPv4 with an OS-assigned port (CONTRACT §5). */
export const DEFAULT_LISTEN_URL = "ws://127.0.0.1:0";

/** Error thrown for a `--listen` value that is not `ws://IP:PORT` or `stdio`; the CLI exits 2 with its message. */
export class ListenUrlError extends Error {
  override readonly name = "ListenUrlError";
}

/**
 * Parses `--listen`: `ws://IP:PORT` (IPv4 or `[IPv6]`, port 0–65535, no path, no hostname) or `stdio`.
 * Anything else throws {@link ListenUrlError} with the contract's message.
 */
export function parseListenUrl(value: string): ListenTarget {
  if (value === "stdio" || value === "stdio://") return { kind: "stdio" };
  const invalid = () => new ListenUrlError(`invalid websocket --listen URL \`${value}\`; expected \`ws://IP:PORT\``);
  const match = /^ws:\/\/(\[[0-9A-Fa-f:.]+\]|[0-9.]+):(\d{1,5})\/?$/.exec(value);
  if (!match) throw invalid();
  const rawHost = match[1] as string;
  const host = rawHost.startsWith("[") ? rawHost.slice(1, -1) : rawHost;
  const port = Number(match[2]);
  const family = isIP(host);
  if (family === 0 || (family === 6) !== rawHost.startsWith("[") || port > 65535) throw invalid();
  return { kind: "ws", host, port };
}

/** Formats a bound address back into the `ws://IP:PORT` shape printed on stdout. */
export function formatListenUrl(host: string, port: number): string {
  return isIP(host) === 6 ? `ws://[${host}]:${port}` : `ws://${host}:${port}`;
}

/** True for addresses that only this machine can reach (127.0.0.0/8, ::1, IPv4-mapped loopback). */
export function isLoopbackAddress(host: string): boolean {
  if (host === "::1" || host === "0:0:0:0:0:0:0:1") return true;
  const v4 = host.startsWith("::ffff:") ? host.slice(7) : host;
  return isIP(v4) === 4 && v4.startsWith("127.");
}

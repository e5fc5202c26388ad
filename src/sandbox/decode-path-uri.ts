import { decodePathUri } from "../rpc/path-uri.js";

/** Turns a wire `PathUri` into a native absolute path, or throws an Error whose message is the refusal. */
export type PathUriDecoder = (uri: string) => string;

/**
 * A strict `file:` URI decoder with codex 0.169's rules and messages (UPSTREAM-0.169.md §3): the
 * server's one PathUri implementation (`src/rpc/path-uri.ts`), so no scheme →
 * `invalid URI: relative URL without a base` (a plain path too), another scheme →
 * ``unsupported path URI scheme `http` ``, query or fragment refused, a host or a drive letter
 * refused, `%00` refused. The default for {@link parseSandboxContext}. Inside the server the edge
 * path codec has already decoded every path member (and accepted plain absolute paths, seed
 * dialect), so the server passes `decodePathOrUri` (same module) instead.
 */
export const decodeFilePathUri: PathUriDecoder = (uri) => decodePathUri(uri);

import { fileURLToPath } from "node:url";

/** Turns a wire `PathUri` into a native absolute path, or throws an Error whose message is the refusal. */
export type PathUriDecoder = (uri: string) => string;

/**
 * A strict `file:` URI decoder with codex 0.169's messages (UPSTREAM-0.169.md §3): no scheme →
 * `invalid URI: relative URL without a base`, another scheme → ``unsupported path URI scheme `http` ``,
 * query or fragment refused, a host other than `localhost` refused, `%00` refused. The default for
 * {@link parseSandboxContext}; the server passes its own PathUri decoder when it has one, so
 * both agree.
 */
export const decodeFilePathUri: PathUriDecoder = (uri) => {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new Error(/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(uri) ? "invalid URI: invalid international domain name" : "invalid URI: relative URL without a base");
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== "file") throw new Error(`unsupported path URI scheme \`${scheme}\``);
  if (url.search !== "") throw new Error("query parameters are not allowed in path URIs");
  if (url.hash !== "") throw new Error("fragments are not allowed in path URIs");
  if (url.hostname !== "" && url.hostname !== "localhost") throw new Error(`'${url.href}' is invalid on 'linux'`);
  if (/%00/i.test(url.pathname)) throw new Error(`'${url.href}' is invalid on 'linux'`);
  // fileURLToPath refuses an encoded `/` (%2F); upstream decodes it into a separator, so do that first.
  url.pathname = url.pathname.replace(/%2f/gi, "/");
  return fileURLToPath(url);
};

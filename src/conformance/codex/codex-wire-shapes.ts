/**
 * The result and notification shapes of the codex 0.169 exec-server, as the real binary sends them
 * (UPSTREAM-0.169.md §2; probed). Every result and notification of a codex-0.169 run is checked
 * against these, whatever the check asserts.
 */

import { anyValue, arrayOf, base64, bool, fileUri, int, nullable, obj, oneOf, optional, recordOf, str, uint, uuid, type Shape } from "./wire-shape.js";

/** `shell.name` values (§2.3). */
export const SHELL_NAMES = ["zsh", "bash", "powershell", "sh", "cmd"] as const;
/** `sandboxType` values of `process/start` (§2.5). */
export const SANDBOX_TYPES = ["none", "macosSeatbelt", "linuxSeccomp", "windowsRestrictedToken"] as const;
/** `process/write` statuses (§2.7). */
export const WRITE_STATUSES = ["accepted", "unknownProcess", "stdinClosed", "starting"] as const;

/** `EnvironmentInfo` (§2.3): the `initialize` member and the `environment/info` result. */
export const environmentInfoShape: Shape = obj({
  shell: obj({ name: oneOf(...SHELL_NAMES), path: str(true) }),
  executorVersion: str(true),
  providerId: str(true),
  cwd: nullable(fileUri),
  userHomeDir: optional(fileUri),
  platformOs: str(true),
  prependPathDirs: arrayOf(fileUri),
  temporaryDirectories: arrayOf(fileUri),
  tempDir: optional(fileUri),
  // Unknown flags are allowed (clients read missing ones as false); every value is a boolean.
  capabilities: recordOf(bool),
});

const textFile = obj({ path: fileUri, contents: str() });
const configLayers = obj({ layers: arrayOf(obj({ source: str(), baseDir: fileUri, toml: str() })), cloudInsertionIndex: uint });
const empty = obj({});

/** Result shape by request method. Methods not listed (extensions) are not judged. */
export const RESULT_SHAPES: Readonly<Record<string, Shape>> = {
  initialize: obj({ sessionId: uuid, environmentInfo: environmentInfoShape }),
  "environment/info": environmentInfoShape,
  "environment/status": obj({ status: oneOf("ready") }),
  "environmentConfig/read": obj({ userHomeDir: fileUri, codexHomeDir: fileUri, hostname: str(), config: configLayers, requirements: configLayers }),
  "process/start": obj({ processId: str(), sandboxType: oneOf(...SANDBOX_TYPES) }),
  "process/read": obj({
    chunks: arrayOf(obj({ seq: uint, stream: oneOf("stdout", "stderr", "pty"), chunk: base64 })),
    nextSeq: uint,
    exited: bool,
    exitCode: nullable(int),
    closed: bool,
    failure: nullable(str()),
    sandboxDenied: bool,
  }),
  "process/write": obj({ status: oneOf(...WRITE_STATUSES) }),
  "process/signal": empty,
  "process/terminate": obj({ running: bool }),
  "fs/readFile": obj({ dataBase64: base64 }),
  "fs/writeFile": empty,
  "fs/createDirectory": empty,
  "fs/getMetadata": obj({ isDirectory: bool, isFile: bool, isSymlink: bool, size: uint, createdAtMs: int, modifiedAtMs: int }),
  "fs/canonicalize": obj({ path: fileUri }),
  "fs/readDirectory": obj({ entries: arrayOf(obj({ fileName: str(), isDirectory: bool, isFile: bool })) }),
  "fs/walk": obj({ entries: arrayOf(obj({ path: fileUri, kind: str(true) })), errors: arrayOf(anyValue), truncated: bool }),
  "fs/remove": empty,
  "fs/copy": empty,
  "fs/open": obj({ handleId: str() }),
  "fs/readBlock": obj({ chunk: base64, eof: bool }),
  "fs/writeBlock": empty,
  "fs/close": empty,
  "fs/watchMissing": obj({ watching: bool }),
  "http/request": obj({ status: uint, headers: arrayOf(obj({ name: str(true), value: str() })), bodyBase64: base64 }),
  "capabilityRoots/discoverV1": obj({
    roots: arrayOf(
      obj({
        id: str(),
        path: fileUri,
        plugin: nullable(obj({ manifest: textFile, mcpConfig: nullable(textFile), appsConfig: nullable(textFile) })),
        skills: arrayOf(obj({ instructions: textFile, metadata: nullable(textFile) })),
        namespaceManifests: arrayOf(textFile),
        warnings: arrayOf(str()),
        error: nullable(str()),
      }),
    ),
  }),
  "capabilities/discoverV2": obj({ plugins: arrayOf(anyValue), skills: arrayOf(anyValue), warnings: arrayOf(str()) }),
};

/** Server notification shapes (§2.9, §2.12, §2.13, §2.15). */
export const NOTIFICATION_SHAPES: Readonly<Record<string, Shape>> = {
  "process/output": obj({ processId: str(), seq: uint, stream: oneOf("stdout", "stderr", "pty"), chunk: base64 }),
  "process/exited": obj({ processId: str(), seq: uint, exitCode: int, sandboxDenied: bool }),
  "process/closed": obj({ processId: str(), seq: uint }),
  "http/request/bodyDelta": obj({ requestId: str(), seq: uint, deltaBase64: base64, done: bool, error: nullable(str()) }),
  "fs/missingChanged": obj({ watchId: uint }),
  "network/policyDecision": anyValue,
};

/** The only server-to-client request of the dialect (§2.15). */
export const SERVER_REQUESTS: readonly string[] = ["network/policyRequest"];

/**
 * Public API of exec-server as a library: the server, the harness-side client and connectors, remote
 * mode (executor, harness connection, reference rendezvous), environments, the conformance suite,
 * and the error type. The CLI (`src/cli.ts`) is a thin layer over these.
 */
export { ExecServer, type ExecServerOptions } from "./server/exec-server.js";
export { startExecServer, type RunningExecServer, type StartExecServerOptions } from "./server/start-exec-server.js";
export { createExecServerClient, type ExecServerClient } from "../generated/openrpc/client.js";
export { createDispatcher, type Handlers } from "../generated/openrpc/dispatch.js";
export { connectExecServer, connectTransport, isHarnessUrl, parseEnvironmentUrl, type ConnectOptions, type ConnectedClient } from "./client/connect.js";
export { HarnessConnection, type HarnessConnectionOptions } from "./remote/harness-connection.js";
export { RemoteExecutor, RemoteExecutorConfig, type RemoteExecutorOptions } from "./remote/remote-executor.js";
export { NoiseRemoteExecutor, type NoiseRemoteExecutorOptions } from "./remote/noise-remote-executor.js";
export { NoiseHarnessConnection, type NoiseHarnessOptions } from "./remote/noise-harness-connection.js";
export { EnvironmentRegistryError } from "./remote/environment-registry-client.js";
export { generateHybridKeyPair, publicKeyFromJson, publicKeyToJson, type HybridKeyPair, type HybridPublicKey } from "./relay/noise/hybrid-keypair.js";
export { startRendezvous, type Rendezvous, type RendezvousOptions } from "./remote/rendezvous/rendezvous-server.js";
export { EnvironmentManager, type EnvironmentManagerOptions } from "./environments/environment-manager.js";
export { runConformance, formatReport } from "./conformance/index.js";
export { RpcError, ErrorCode } from "./rpc/rpc-error.js";
export type { MessageTransport } from "./rpc/message-transport.js";
export type * from "../generated/openrpc/types.js";

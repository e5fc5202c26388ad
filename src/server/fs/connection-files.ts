import type {
  FsCloseParams,
  FsCloseResult,
  FsOpenParams,
  FsOpenResult,
  FsReadBlockParams,
  FsReadBlockResult,
  FsWatchMissingParams,
  FsWatchMissingResult,
  FsWriteBlockParams,
  FsWriteBlockResult,
} from "../../../generated/openrpc/types.js";
import type { FileSystemService } from "./file-system-service.js";
import { FileHandleTable, type FileHandleTableOptions, type HandleBudget } from "./file-handle-table.js";
import { MissingPathWatch, type MissingPathWatchOptions } from "./missing-path-watch.js";

/** Limits of the per-connection file state. */
export interface ConnectionFilesOptions extends FileHandleTableOptions, MissingPathWatchOptions {}

/**
 * What one connection holds of the file system: its file handles (`fs/open` …) and its missing-path
 * watch (`fs/watchMissing`). Both die with the connection ({@link ConnectionFiles.close}): upstream
 * scopes them to the connection, not to the session, so a resumed session starts without them.
 */
export class ConnectionFiles {
  readonly handles: FileHandleTable;
  readonly watch: MissingPathWatch;

  /** @throws RangeError for an invalid limit. */
  static validateOptions(options: ConnectionFilesOptions): void {
    for (const [name, value] of Object.entries({
      maxHandlesPerConnection: options.maxHandlesPerConnection,
      maxOpenFileHandles: options.maxOpenFileHandles,
      maxWatchedPaths: options.maxWatchedPaths,
      watchPollIntervalMs: options.watchPollIntervalMs,
    })) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
  }

  constructor(
    private readonly service: FileSystemService,
    notify: (method: "fs/missingChanged", params: { watchId: number }) => void,
    options: ConnectionFilesOptions,
    budget: HandleBudget,
  ) {
    this.handles = new FileHandleTable(options, budget);
    this.watch = new MissingPathWatch((watchId) => notify("fs/missingChanged", { watchId }), options);
  }

  /** `fs/open` (`read` by default, or `replace`). */
  open(params: FsOpenParams): Promise<FsOpenResult> {
    return this.handles.open(params.handleId, () => this.service.openFile(params.path, params.mode ?? "read", params.sandbox));
  }

  /** `fs/readBlock`. */
  readBlock(params: FsReadBlockParams): Promise<FsReadBlockResult> {
    return this.handles.readBlock(params.handleId, params.offset, params.len);
  }

  /** `fs/writeBlock`. */
  writeBlock(params: FsWriteBlockParams): Promise<FsWriteBlockResult> {
    return this.handles.writeBlock(params.handleId, params.offset, params.chunk);
  }

  /** `fs/close`. */
  closeHandle(params: FsCloseParams): FsCloseResult {
    return this.handles.close(params.handleId);
  }

  /** `fs/watchMissing`. */
  watchMissing(params: FsWatchMissingParams): Promise<FsWatchMissingResult> {
    return this.watch.register(params.watchId, params.missing, params.present ?? undefined);
  }

  /** Closes every handle and ends the watch (the connection closed). */
  async close(): Promise<void> {
    this.watch.close();
    await this.handles.closeAll();
  }
}

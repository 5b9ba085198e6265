import { Worker } from "node:worker_threads";
import { ArchiveRejectedError } from "@/lib/backup/restore/inspect";

/** What a restored file gets besides its bytes: mode, date, and owner (as root only). */
export interface FileMeta {
  mode?: number;
  mtime?: string;
  uid?: number;
  gid?: number;
}

/** One file of a batch as it crosses to the thread: its path's bytes as latin1 text, its bytes a range of the batch's buffer. */
interface WireFile {
  path: string;
  start: number;
  end: number;
  meta: FileMeta | null;
}

/**
 * Runs in the writer thread; plain JavaScript in a string for the reason small-file-readers.ts gives.
 * Each file: open (a new file, never through a link), write, owner, mode, date, close, all synchronous:
 * in a thread of its own these six calls cost less than one round trip to the thread pool each would.
 * A batch stops at its first failure and says which file it was.
 */
const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require("node:worker_threads");
const fs = require("node:fs");
const FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

function writeOne(file, data) {
  const fd = fs.openSync(Buffer.from(file.path, "latin1"), FLAGS, 0o600);
  try {
    for (let at = file.start; at < file.end;) at += fs.writeSync(fd, data, at, file.end - at);
    const meta = file.meta;
    if (!meta) return;
    // Owner first (as root only: nobody else may give a file away), then mode (chown clears set-id bits).
    if (workerData.asRoot && meta.uid !== undefined && meta.gid !== undefined) fs.fchownSync(fd, meta.uid, meta.gid);
    if (meta.mode !== undefined) fs.fchmodSync(fd, meta.mode & 0o7777);
    if (meta.mtime) {
      const mtime = new Date(meta.mtime);
      fs.futimesSync(fd, mtime, mtime);
    }
  } finally {
    fs.closeSync(fd);
  }
}

// The batch's memory goes back to be filled again: a new buffer for each batch left hundreds of
// megabytes waiting for this thread's garbage collector over a large restore.
parentPort.on("message", ({ id, files, bytes }) => {
  const data = Buffer.from(bytes);
  for (let i = 0; i < files.length; i++) {
    try {
      writeOne(files[i], data);
    } catch (e) {
      parentPort.postMessage({ id, bytes, failed: i, message: String(e && e.message ? e.message : e) }, [bytes]);
      return;
    }
  }
  parentPort.postMessage({ id, bytes }, [bytes]);
});
`;

const BATCH_FILES = 64;
const BATCH_BYTES = 256 * 1024;
/** Batches sent and not yet written: enough to keep the thread busy, few enough that their bytes stay small. */
const MAX_IN_FLIGHT = 4;

interface Batch {
  files: WireFile[];
  names: string[];
  buffer: Buffer;
  length: number;
}

/**
 * Writes small restored files on a thread of its own, in batches. Restoring 200,000 files of a few KB,
 * the main thread was busy all the time: reading, inflating and checking each entry, and then the six
 * calls that write it. Here the checking and the writing run on both cores. The caller hands over only
 * files already checked against the manifest, into folders already made and checked (StagingRoot). A
 * file that cannot be written fails the restore as a rejected archive does, naming the entry.
 */
export class SmallFileWriter {
  private worker: Worker | null = null;
  /** Batches sent and not yet answered: the entry names of each, to say which one failed. */
  private readonly pending = new Map<number, string[]>();
  private readonly waiting: (() => void)[] = [];
  private batch: Batch | null = null;
  /** Batch buffers back from the thread, to be filled again. */
  private readonly spare: Buffer[] = [];
  private nextId = 0;
  private failure: Error | null = null;
  private closing = false;

  constructor(private readonly asRoot: boolean) {}

  /** Queues `data` to be written at `dest` as a new file, then given `meta`; resolves once there is room for more. */
  async write(name: string, dest: Buffer | string, data: Buffer, meta: FileMeta | null): Promise<void> {
    if (this.failure) throw this.failure;
    if (data.length > BATCH_BYTES) throw new Error(`${name} is too large for the small-file writer`);
    if (this.batch && this.batch.length + data.length > this.batch.buffer.length) this.send();
    const batch = (this.batch ??= { files: [], names: [], buffer: this.spare.pop() ?? Buffer.allocUnsafeSlow(BATCH_BYTES), length: 0 });
    data.copy(batch.buffer, batch.length);
    const path = typeof dest === "string" ? Buffer.from(dest).toString("latin1") : dest.toString("latin1");
    batch.files.push({ path, start: batch.length, end: batch.length + data.length, meta: meta && pickMeta(meta) });
    batch.names.push(name);
    batch.length += data.length;
    if (batch.files.length === BATCH_FILES) this.send();
    while (this.pending.size >= MAX_IN_FLIGHT && !this.failure) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.failure) throw this.failure;
  }

  /** Writes what is queued and waits for every file to be written; throws the first failure. */
  async finish(): Promise<void> {
    if (this.batch && !this.failure) this.send();
    this.batch = null;
    await this.drain();
    if (this.failure) throw this.failure;
  }

  /** Waits for the batches already sent (nothing is left writing into the staging place), then stops the thread. */
  async close(): Promise<void> {
    this.batch = null;
    await this.drain();
    this.closing = true;
    await this.worker?.terminate();
    this.worker = null;
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private send(): void {
    const batch = this.batch!;
    this.batch = null;
    const id = this.nextId++;
    this.pending.set(id, batch.names);
    const bytes = batch.buffer.buffer as ArrayBuffer;
    this.thread().postMessage({ id, files: batch.files, bytes }, [bytes]);
  }

  private wake(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    // A small young generation, as the job's process itself runs with (lib/backup/jobs/spawn.ts).
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { asRoot: this.asRoot }, resourceLimits: { maxYoungGenerationSizeMb: 2 } });
    worker.on("message", ({ id, bytes, failed, message }: { id: number; bytes: ArrayBuffer; failed?: number; message?: string }) => {
      this.spare.push(Buffer.from(bytes));
      const names = this.pending.get(id);
      this.pending.delete(id);
      if (names && failed !== undefined) this.failure ??= new ArchiveRejectedError(`${names[failed]} could not be written: ${message}`);
      this.wake();
    });
    worker.on("error", (error) => this.stop(new ArchiveRejectedError(error.message)));
    worker.on("exit", (code) => code !== 0 && !this.closing && this.stop(new ArchiveRejectedError(`the file writer thread stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private stop(error: Error): void {
    this.failure ??= error;
    this.pending.clear();
    this.wake();
  }
}

/** Only the four fields, as plain values: a manifest record may be a class instance with getters (file-records.ts). */
function pickMeta(meta: FileMeta): FileMeta {
  return { mode: meta.mode, mtime: meta.mtime, uid: meta.uid, gid: meta.gid };
}

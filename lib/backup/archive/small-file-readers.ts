import os from "node:os";
import { Worker } from "node:worker_threads";

/** A small file the walk listed: read only if it is still that very file (same device and inode). */
export interface SmallFileRequest {
  /** The path's bytes as latin1 text: a Buffer would be sent with the whole 8 KiB pool it may sit in. */
  path: string;
  dev: number;
  ino: number;
  /** As the walk saw it: room for the batch's bytes is made from it. */
  size: number;
  /** Already compressed by its kind (a JPEG, a zip): stored as it is. */
  store: boolean;
}

export type SmallFileResult =
  | { status: "ready"; method: 0 | 8; crc: number; size: number; data: Buffer; sha256: string }
  /** Larger now than a small file: the caller reads it the ordinary way. */
  | { status: "grown" }
  | { status: "link" | "not-file" | "replaced" }
  | { status: "error"; code: string };

/**
 * Runs in each worker thread. Plain JavaScript in a string rather than a module of its own: the engine is
 * bundled three ways (the CLI, the portal, the tests) and a string needs no file to be found at run time.
 * Synchronous calls on purpose: in a thread of its own, open + fstat + read + close + deflate of a 2 KB
 * file cost far less than the five round trips to the thread pool the asynchronous calls take.
 */
const WORKER_SOURCE = String.raw`
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const zlib = require("node:zlib");
const crypto = require("node:crypto");
const FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW;

// The window and hash as write-archive.ts sizes them; the output buffer as large as deflate's worst case,
// so that a small file costs one allocation of its size rather than zlib's 16 KiB.
function deflateOptions(size, level) {
  const windowBits = Math.min(15, Math.max(9, Math.ceil(Math.log2(size + 1)) + 1));
  const chunkSize = Math.max(64, size + (size >> 12) + (size >> 14) + 64);
  return { level, windowBits, memLevel: Math.min(9, Math.max(1, windowBits - 6)), chunkSize };
}

// Every file is read into this one buffer, and the batch's stored bytes gathered in one buffer of its own:
// an allocation per file (and per deflate's output) cost as much as the reading.
let input = Buffer.allocUnsafeSlow(0);
let out = Buffer.allocUnsafeSlow(0);
let outLength = 0;

function keep(data) {
  if (outLength + data.length > out.length) {
    const bigger = Buffer.allocUnsafeSlow(Math.max(2 * out.length, outLength + data.length, 1024 * 1024));
    out.copy(bigger, 0, 0, outLength);
    out = bigger;
  }
  data.copy(out, outLength);
  outLength += data.length;
  return [outLength - data.length, outLength];
}

function readOne(file, level, maxSize) {
  let fd;
  try {
    fd = fs.openSync(Buffer.from(file.path, "latin1"), FLAGS);
  } catch (e) {
    return e.code === "ELOOP" ? { status: "link" } : { status: "error", code: String(e.code || e.message) };
  }
  try {
    const stats = fs.fstatSync(fd);
    if (!stats.isFile()) return { status: "not-file" };
    if (stats.dev !== file.dev || stats.ino !== file.ino) return { status: "replaced" };
    if (stats.size > maxSize) return { status: "grown" };
    if (input.length < maxSize) input = Buffer.allocUnsafeSlow(maxSize);
    let length = 0;
    while (length < stats.size) {
      const n = fs.readSync(fd, input, length, stats.size - length, length);
      if (n === 0) break;
      length += n;
    }
    let data = input.subarray(0, length);
    const result = { status: "ready", method: 0, crc: zlib.crc32(data), size: length, sha256: crypto.hash("sha256", data, "hex") };
    if (!file.store && level > 0 && length > 0) {
      const deflated = zlib.deflateRawSync(data, deflateOptions(length, level));
      if (deflated.length < length) [result.method, data] = [8, deflated];
    }
    [result.start, result.end] = keep(data);
    return result;
  } catch (e) {
    return { status: "error", code: String(e.code || e.message) };
  } finally {
    fs.closeSync(fd);
  }
}

parentPort.on("message", ({ id, files, level, maxSize }) => {
  out = Buffer.allocUnsafeSlow(files.reduce((sum, file) => sum + file.size, 0) + 1024);
  outLength = 0;
  const results = files.map((file) => readOne(file, level, maxSize));
  // Moved, not copied, to the main thread.
  parentPort.postMessage({ id, results, bytes: out.buffer }, [out.buffer]);
});
`;

interface Pending {
  resolve(results: SmallFileResult[]): void;
  reject(error: Error): void;
}

type WireResult =
  Exclude<SmallFileResult, { status: "ready" }> | (Omit<Extract<SmallFileResult, { status: "ready" }>, "data"> & { start: number; end: number });

/**
 * Worker threads that read, checksum and deflate small files in batches. A tree of 200,000 files of a few
 * KB spent most of its time on per-file round trips to the thread pool (bench, size many); in batches on
 * threads of their own the cost per file is a few system calls.
 */
export class SmallFileReaders {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private nextWorker = 0;
  private failure: Error | null = null;

  constructor(
    private readonly level: number,
    private readonly maxSize: number,
    count = Math.max(1, Math.min(2, os.availableParallelism())),
  ) {
    this.workers = Array.from({ length: count }, () => this.startWorker());
  }

  private startWorker(): Worker {
    // A small young generation, as the backup process itself runs with (lib/backup/jobs/spawn.ts).
    const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 2 } });
    worker.on("message", ({ id, results, bytes }: { id: number; results: WireResult[]; bytes: ArrayBuffer }) => {
      const data = Buffer.from(bytes);
      const pending = this.pending.get(id);
      this.pending.delete(id);
      pending?.resolve(
        results.map((r) => {
          if (r.status !== "ready") return r;
          const { start, end, ...rest } = r;
          return { ...rest, data: data.subarray(start, end) };
        }),
      );
    });
    worker.on("error", (error) => this.fail(error));
    worker.on("exit", (code) => code !== 0 && this.fail(new Error(`a file reader thread stopped (exit code ${code})`)));
    return worker;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  /** Reads a batch on the next thread in turn; results come back in the order asked. */
  read(files: SmallFileRequest[]): Promise<SmallFileResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const worker = this.workers[this.nextWorker++ % this.workers.length]!;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, files, level: this.level, maxSize: this.maxSize });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

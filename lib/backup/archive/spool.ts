import fs from "node:fs/promises";
import { readAt } from "@/lib/backup/archive/positioned-read";

const FLUSH_AT = 256 * 1024;
const READ_CHUNK = 1024 * 1024;

/** Where a long list of bytes waits until it is read back once, in order. */
export interface ByteStore {
  readonly count: number;
  append(data: string | Buffer): Promise<void>;
  read(): AsyncIterable<Buffer>;
}

/**
 * A ByteStore in a private temporary file (0600), written in 256 kB batches: memory stays flat however
 * long the list grows. `dispose()` removes the file.
 */
export class FileSpool implements ByteStore {
  count = 0;
  /** Appends are copied into this buffer: a Buffer per appended line cost the backup's main thread more in collecting than in writing. */
  private pending = Buffer.allocUnsafeSlow(FLUSH_AT);
  private pendingBytes = 0;

  private constructor(
    readonly file: string,
    private readonly handle: fs.FileHandle,
  ) {}

  static async create(file: string): Promise<FileSpool> {
    return new FileSpool(file, await fs.open(file, "wx+", 0o600));
  }

  async append(data: string | Buffer): Promise<void> {
    this.count++;
    const length = typeof data === "string" ? Buffer.byteLength(data) : data.length;
    if (this.pendingBytes + length > FLUSH_AT) await this.flush();
    if (length > FLUSH_AT) {
      await this.handle.write(typeof data === "string" ? Buffer.from(data) : data);
      return;
    }
    if (typeof data === "string") this.pending.write(data, this.pendingBytes, length, "utf8");
    else data.copy(this.pending, this.pendingBytes);
    this.pendingBytes += length;
  }

  private async flush(): Promise<void> {
    if (!this.pendingBytes) return;
    // A fresh buffer for what follows: this one is still being written while later appends arrive.
    const batch = this.pending.subarray(0, this.pendingBytes);
    this.pending = Buffer.allocUnsafeSlow(FLUSH_AT);
    this.pendingBytes = 0;
    await this.handle.write(batch);
  }

  async *read(): AsyncGenerator<Buffer> {
    await this.flush();
    for (let position = 0; ;) {
      const chunk = await readAt(this.handle, READ_CHUNK, position);
      if (chunk.length === 0) return;
      position += chunk.length;
      yield chunk;
    }
  }

  async dispose(): Promise<void> {
    await this.handle.close().catch(() => {});
    await fs.rm(this.file, { force: true });
  }
}

/** A ByteStore in memory, for small archives made outside a backup (tests, tools). */
export function memoryStore(): ByteStore {
  const chunks: Buffer[] = [];
  return {
    get count() {
      return chunks.length;
    },
    async append(data) {
      chunks.push(typeof data === "string" ? Buffer.from(data) : data);
    },
    async *read() {
      yield* chunks;
    },
  };
}

import { createHash } from "node:crypto";
import { once } from "node:events";
import fs from "node:fs";
import { AgeEncryptor, newAgeFile, type AgeRecipients } from "@/lib/backup/crypto/age";

/** Where an archive's bytes go as they are written: a file now, a bucket for a remote-only backup. */
export interface ArchiveSink {
  /** Resolves once the sink can take more (backpressure). */
  write(chunk: Buffer): Promise<void>;
  /** Everything was written: make it the archive (for a file, rename it to its real name). */
  close(): Promise<void>;
  /** Something failed: leave nothing behind. */
  abort(): Promise<void>;
}

/** Waits for room in the stream, or its failure (which would otherwise leave the wait hanging). */
function drained(out: fs.WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      out.off("drain", onDrain);
      out.off("error", done);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    out.on("drain", onDrain);
    out.on("error", done);
  });
}

/** Written under a hidden partial name, renamed to the real one only when complete. */
export function fileSink(partFile: string, outFile: string): ArchiveSink {
  const out = fs.createWriteStream(partFile, { flags: "wx", mode: 0o600 });
  let outError: Error | null = null;
  out.on("error", (e) => (outError = e));
  return {
    async write(chunk) {
      if (outError) throw outError;
      if (!out.write(chunk)) await drained(out);
    },
    async close() {
      if (outError) throw outError;
      out.end();
      await once(out, "close");
      if (outError) throw outError;
      await fs.promises.rename(partFile, outFile);
    },
    async abort() {
      out.destroy();
      await fs.promises.rm(partFile, { force: true });
    },
  };
}

/** Counts and hashes the bytes as stored: the archive's size and SHA-256 are those of the file on disk. */
export class MeasuredSink implements ArchiveSink {
  private readonly hash = createHash("sha256");
  bytes = 0;

  constructor(private readonly inner: ArchiveSink) {}

  async write(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    await this.inner.write(chunk);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  abort(): Promise<void> {
    return this.inner.abort();
  }

  sha256(): string {
    return this.hash.digest("hex");
  }
}

/**
 * Encrypts on the fly as age v1 for the given recipients: the header first, then the zip in sealed
 * 64 KiB chunks. The file key stays in this process's memory only, for the read-back of this very archive.
 */
export class EncryptingSink implements ArchiveSink {
  readonly fileKey: Buffer;
  private readonly encryptor: AgeEncryptor;
  private started = false;
  private readonly header: Buffer;

  constructor(
    private readonly inner: ArchiveSink,
    to: AgeRecipients,
  ) {
    const { fileKey, header } = newAgeFile(to);
    this.fileKey = fileKey;
    this.header = header;
    this.encryptor = new AgeEncryptor(fileKey);
  }

  private async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.inner.write(Buffer.concat([this.header, this.encryptor.payloadNonce]));
  }

  async write(chunk: Buffer): Promise<void> {
    await this.start();
    // One write for all the chunks a block sealed: a write per 64 KiB chunk waited on the disk 16 times as
    // often as the plain archive's writes.
    const sealed = this.encryptor.push(chunk);
    if (sealed.length) await this.inner.write(sealed);
  }

  async close(): Promise<void> {
    await this.start();
    await this.inner.write(this.encryptor.finish());
    await this.inner.close();
  }

  abort(): Promise<void> {
    return this.inner.abort();
  }
}

const GATHER_BYTES = 1024 * 1024;

/**
 * Gathers small writes into 1 MiB ones. A tree of small files makes three writes of a few hundred bytes per
 * entry (header, data, and so on); passed on one by one, each was hashed, queued on the stream and written
 * on its own.
 */
export class GatheringSink implements ArchiveSink {
  private readonly buffer = Buffer.allocUnsafeSlow(GATHER_BYTES);
  private filled = 0;

  constructor(readonly inner: ArchiveSink) {}

  async write(chunk: Buffer): Promise<void> {
    const large = chunk.length >= GATHER_BYTES / 4;
    if (large || this.filled + chunk.length > GATHER_BYTES) await this.flush();
    if (large) return this.inner.write(chunk);
    chunk.copy(this.buffer, this.filled);
    this.filled += chunk.length;
  }

  /** The inner sink may keep what it is given (a stream's queue, an upload's part): it gets a copy. */
  async flush(): Promise<void> {
    if (this.filled === 0) return;
    const gathered = Buffer.from(this.buffer.subarray(0, this.filled));
    this.filled = 0;
    await this.inner.write(gathered);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.inner.close();
  }

  abort(): Promise<void> {
    return this.inner.abort();
  }
}

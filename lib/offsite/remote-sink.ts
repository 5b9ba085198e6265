import { createHash } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { ArchiveSink } from "@/lib/backup/archive/archive-sink";
import { verifyStored, withRetries, type StoredPart } from "@/lib/offsite/multipart";

const GiB = 1024 * 1024 * 1024;
/** CopyObject's limit; a larger object gets its metadata through a multipart copy onto itself. */
const COPY_MAX = 5 * GiB;

export interface RemoteSinkOptions {
  client: S3Client;
  bucket: string;
  key: string;
  partSize: number;
  /** Parts uploading at once. Memory is (inFlight + 1) × partSize: those, and the one being filled. */
  inFlight?: number;
  attempts?: number;
  backoffMs?: number;
  /** After the object is complete, carries its SHA-256 and has been checked (size and metadata). */
  onStored?(stored: { size: number; sha256: string }): Promise<void>;
}

const unquote = (etag: string) => etag.replace(/"/g, "");

/**
 * An archive written straight to a bucket (remote-only mode): bytes fill a part buffer, each full part goes
 * up as a multipart part while the next fills, and at most `inFlight` parts are in the air — the writer
 * waits (backpressure) rather than buffering more. Buffers are reused from a pool, so the bound holds
 * without waiting for the garbage collector. Each part is retried with backoff and its MD5 ETag compared.
 * The SHA-256 is known only at the end, after the upload was created, so it is put in the object's
 * metadata by a copy of the object onto itself (server-side; no byte comes back through this process).
 * Unlike an upload from a file, this cannot resume after the process dies: the stream it came from is gone.
 */
export class RemoteSink implements ArchiveSink {
  private readonly hash = createHash("sha256");
  private readonly inFlight: number;
  private readonly pool: Buffer[] = [];
  private buffer: Buffer | null = null;
  private filled = 0;
  private partNumber = 0;
  private uploadId: string | null = null;
  private readonly parts: StoredPart[] = [];
  private readonly running = new Set<Promise<void>>();
  private failure: Error | null = null;
  size = 0;
  /** The most part buffers ever allocated at once (tests and the bench read it). */
  buffersAllocated = 0;

  constructor(private readonly options: RemoteSinkOptions) {
    this.inFlight = Math.max(1, options.inFlight ?? 4);
  }

  private retry<T>(work: () => Promise<T>): Promise<T> {
    return withRetries(this.options.attempts ?? 5, this.options.backoffMs ?? 500, work);
  }

  private take(): Buffer {
    const reused = this.pool.pop();
    if (reused) return reused;
    this.buffersAllocated++;
    return Buffer.allocUnsafe(this.options.partSize);
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    this.hash.update(chunk);
    this.size += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      this.buffer ??= this.take();
      const n = Math.min(this.options.partSize - this.filled, chunk.length - offset);
      chunk.copy(this.buffer, this.filled, offset, offset + n);
      this.filled += n;
      offset += n;
      if (this.filled === this.options.partSize) await this.sendPart();
    }
  }

  private async sendPart(): Promise<void> {
    const { client, bucket, key } = this.options;
    if (!this.uploadId) {
      const created = await this.retry(() => client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: "application/zip" })));
      this.uploadId = created.UploadId!;
    }
    const uploadId = this.uploadId;
    const buffer = this.buffer!;
    const body = buffer.subarray(0, this.filled);
    const partNumber = ++this.partNumber;
    this.buffer = null;
    this.filled = 0;
    const md5 = createHash("md5").update(body).digest("hex");
    const sending: Promise<void> = this.retry(async () => {
      const sent = await client.send(
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length }),
      );
      const tag = sent.ETag ?? "";
      if (/^[0-9a-f]{32}$/.test(unquote(tag)) && unquote(tag) !== md5)
        throw Object.assign(new Error(`part ${partNumber} arrived damaged`), { name: "PartMismatch" });
      this.parts.push({ PartNumber: partNumber, ETag: tag });
    })
      .then(
        () => void this.pool.push(buffer),
        (error: Error) => void (this.failure ??= error),
      )
      .finally(() => this.running.delete(sending));
    this.running.add(sending);
    while (this.running.size >= this.inFlight) await Promise.race(this.running);
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    if (this.failure) throw this.failure;
    const { client, bucket, key } = this.options;
    const sha256 = this.hash.digest("hex");
    if (!this.uploadId) {
      // It all fit in one part: one PUT, with the SHA-256 known already.
      const body = this.buffer ? this.buffer.subarray(0, this.filled) : Buffer.alloc(0);
      await this.retry(() =>
        client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length, Metadata: { sha256 }, ContentType: "application/zip" }),
        ),
      );
    } else {
      if (this.filled > 0) await this.sendPart();
      await Promise.all(this.running);
      if (this.failure) throw this.failure;
      const parts = [...this.parts].sort((a, b) => a.PartNumber - b.PartNumber);
      const uploadId = this.uploadId;
      await this.retry(() =>
        client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } })),
      );
      this.uploadId = null;
      await this.stampSha256(sha256);
    }
    this.buffer = null;
    this.pool.length = 0;
    await verifyStored(client, bucket, key, this.size, sha256);
    await this.options.onStored?.({ size: this.size, sha256 });
  }

  /** Puts the SHA-256 in the finished object's metadata: a server-side copy onto itself. */
  private async stampSha256(sha256: string): Promise<void> {
    const { client, bucket, key } = this.options;
    const source = `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
    const meta = { Metadata: { sha256 }, ContentType: "application/zip" };
    if (this.size <= COPY_MAX) {
      await this.retry(() => client.send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: source, MetadataDirective: "REPLACE", ...meta })));
      return;
    }
    const created = await this.retry(() => client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...meta })));
    const parts: StoredPart[] = [];
    for (let start = 0, n = 1; start < this.size; start += GiB, n++) {
      const range = `bytes=${start}-${Math.min(this.size, start + GiB) - 1}`;
      const copied = await this.retry(() =>
        client.send(
          new UploadPartCopyCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId!, PartNumber: n, CopySource: source, CopySourceRange: range }),
        ),
      );
      parts.push({ PartNumber: n, ETag: copied.CopyPartResult?.ETag ?? "" });
    }
    await this.retry(() =>
      client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId!, MultipartUpload: { Parts: parts } })),
    );
  }

  async abort(): Promise<void> {
    this.failure ??= new Error("aborted");
    await Promise.allSettled([...this.running]);
    if (this.uploadId) {
      const { client, bucket, key } = this.options;
      // The parts already stored would be billed until the bucket's lifecycle rule removes them.
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: this.uploadId })).catch(() => {});
      this.uploadId = null;
    }
    this.buffer = null;
    this.pool.length = 0;
  }
}

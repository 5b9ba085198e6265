import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";

const MiB = 1024 * 1024;
/** S3 allows 10,000 parts; staying under 9,000 leaves room for a part size rounded up. */
const MAX_PARTS = 9_000;
export const MIN_PART_SIZE = 8 * MiB;

/** Parts sized to the archive: 8 MiB for anything up to ~70 GB, larger beyond so the count stays under S3's limit. */
export function partSizeFor(size: number): number {
  return Math.max(MIN_PART_SIZE, Math.ceil(size / MAX_PARTS / MiB) * MiB);
}

export interface StoredPart {
  PartNumber: number;
  ETag: string;
}

/** What must survive a failure for the upload to resume: kept on the copy's record between attempts. */
export interface UploadState {
  uploadId: string;
  key: string;
  size: number;
  partSize: number;
  parts: StoredPart[];
}

export interface UploadOptions {
  client: S3Client;
  bucket: string;
  key: string;
  file: string;
  sha256: string;
  /** A multipart upload left part-way by an earlier attempt; null to start afresh. */
  resume: UploadState | null;
  saveState(state: UploadState | null): Promise<void>;
  onProgress?(bytesStored: number, size: number): void;
  /** Parts in flight at once; memory is bounded by concurrency × part size. */
  concurrency?: number;
  attempts?: number;
  backoffMs?: number;
  partSize?: number;
}

export interface UploadOutcome {
  size: number;
  /** Bytes sent in this attempt (less than the size when it resumed). */
  bytesSent: number;
  resumedParts: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A part given up because another part of the same upload failed for good. */
const STOPPED = "UploadStopped";

/** Retries `work` with exponential backoff and jitter; the last failure is thrown. */
export async function withRetries<T>(attempts: number, backoffMs: number, work: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      if (attempt >= attempts || !retryable(error)) throw error;
      await sleep(backoffMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5));
    }
  }
}

function retryable(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  // A refused key, a missing bucket or upload does not get better by asking again.
  if (["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "NoSuchBucket", "NoSuchUpload", STOPPED].includes(e.name ?? "")) return false;
  return status === undefined || status >= 500 || status === 408 || status === 429 || e.name === "RequestTimeTooSkewed";
}

const isNotImplemented = (error: unknown) => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === "NotImplemented" || e.name === "MethodNotAllowed" || e.$metadata?.httpStatusCode === 501 || e.$metadata?.httpStatusCode === 405;
};

/** The parts the server holds for an upload, or null when it no longer knows the upload. */
async function serverParts(client: S3Client, bucket: string, state: UploadState): Promise<StoredPart[] | null> {
  const parts: StoredPart[] = [];
  let marker: string | undefined;
  try {
    for (;;) {
      const page = await client.send(new ListPartsCommand({ Bucket: bucket, Key: state.key, UploadId: state.uploadId, PartNumberMarker: marker }));
      for (const p of page.Parts ?? []) if (p.PartNumber && p.ETag) parts.push({ PartNumber: p.PartNumber, ETag: p.ETag });
      if (!page.IsTruncated) return parts;
      marker = page.NextPartNumberMarker;
    }
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchUpload") return null;
    // Servers without ListParts (s3rver, some gateways): trust the parts we recorded as confirmed.
    if (isNotImplemented(error)) return state.parts;
    throw error;
  }
}

async function readPart(handle: fs.FileHandle, start: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, start + done);
    if (bytesRead === 0) throw new Error("The archive became shorter during the upload");
    done += bytesRead;
  }
  return buffer;
}

const unquote = (etag: string) => etag.replace(/"/g, "");

/**
 * Copies one file to `bucket/key`: a single PUT when it fits one part, otherwise a multipart upload whose
 * state (upload id, parts confirmed) is saved after every part, so that a later attempt resumes from the
 * parts the server already holds. Parts are read with positioned reads, `concurrency` at a time, each
 * retried with backoff; an MD5 ETag is compared with the part sent. The SHA-256 goes in the object's
 * metadata, and the stored object's size and SHA-256 are checked at the end.
 */
export async function uploadFile(options: UploadOptions): Promise<UploadOutcome> {
  const { client, bucket, key, file, sha256 } = options;
  const attempts = options.attempts ?? 5;
  const backoffMs = options.backoffMs ?? 500;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const handle = await fs.open(file, "r");
  try {
    const { size } = await handle.stat();
    const partSize = options.partSize ?? partSizeFor(size);
    let bytesSent = 0;
    let resumedParts = 0;
    if (size <= partSize) {
      const body = await readPart(handle, 0, size);
      await withRetries(attempts, backoffMs, () =>
        client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: size, Metadata: { sha256 }, ContentType: "application/zip" })),
      );
      bytesSent = size;
      options.onProgress?.(size, size);
    } else {
      let state =
        options.resume && options.resume.key === key && options.resume.size === size && options.resume.partSize === partSize
          ? { ...options.resume, parts: [...options.resume.parts] }
          : null;
      let held: StoredPart[] | null = state ? await withRetries(attempts, backoffMs, () => serverParts(client, bucket, state!)) : null;
      if (!state || !held) {
        const created = await withRetries(attempts, backoffMs, () =>
          client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, Metadata: { sha256 }, ContentType: "application/zip" })),
        );
        state = { uploadId: created.UploadId!, key, size, partSize, parts: [] };
        held = [];
        await options.saveState(state);
      }
      const count = Math.ceil(size / partSize);
      const lengthOf = (n: number) => Math.min(partSize, size - (n - 1) * partSize);
      // A part the server holds at the right size counts; any other is sent again.
      const done = new Map<number, StoredPart>();
      for (const p of held) if (p.PartNumber >= 1 && p.PartNumber <= count) done.set(p.PartNumber, p);
      resumedParts = done.size;
      let stored = [...done.keys()].reduce((sum, n) => sum + lengthOf(n), 0);
      const current = state;
      current.parts = [...done.values()];
      options.onProgress?.(stored, size);
      const queue = Array.from({ length: count }, (_, i) => i + 1).filter((n) => !done.has(n));
      let saving = Promise.resolve();
      // Once a part fails for good, the others stop (no new part, no more retries) and the upload ends
      // only when every worker has: none may go on sending, or saving its state, after this attempt failed.
      let failure: unknown = null;
      const next = () => (failure ? undefined : queue.shift());
      const worker = async () => {
        for (let n = next(); n !== undefined; n = next()) {
          const partNumber = n;
          const body = await readPart(handle, (partNumber - 1) * partSize, lengthOf(partNumber));
          const md5 = createHash("md5").update(body).digest("hex");
          const etag = await withRetries(attempts, backoffMs, async () => {
            if (failure) throw Object.assign(new Error("stopped: another part failed"), { name: STOPPED });
            bytesSent += body.length;
            const sent = await client.send(
              new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: current.uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length }),
            );
            const tag = sent.ETag ?? "";
            // Servers answer the part's MD5 as its ETag unless encryption changes it; a different MD5 is damage in transit.
            if (/^[0-9a-f]{32}$/.test(unquote(tag)) && unquote(tag) !== md5)
              throw Object.assign(new Error(`part ${partNumber} arrived damaged`), { name: "PartMismatch" });
            return tag;
          });
          current.parts.push({ PartNumber: partNumber, ETag: etag });
          stored += body.length;
          options.onProgress?.(stored, size);
          saving = saving.then(() => options.saveState(current));
          await saving;
        }
      };
      const workers = Array.from({ length: Math.min(concurrency, queue.length || 1) }, () =>
        worker().catch((error: unknown) => {
          failure ??= error;
        }),
      );
      await Promise.all(workers);
      await saving;
      if (failure) throw failure;
      const parts = [...current.parts].sort((a, b) => a.PartNumber - b.PartNumber);
      await withRetries(attempts, backoffMs, () =>
        client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: current.uploadId, MultipartUpload: { Parts: parts } })),
      );
      await options.saveState(null);
    }
    await verifyStored(client, bucket, key, size, sha256);
    return { size, bytesSent, resumedParts };
  } finally {
    await handle.close();
  }
}

/** The stored object is the archive: its size and the SHA-256 in its metadata are the ones we sent. */
export async function verifyStored(client: S3Client, bucket: string, key: string, size: number, sha256: string): Promise<void> {
  const head = await withRetries(3, 500, () => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
  if (head.ContentLength !== size) throw new Error(`The copy at s3://${bucket}/${key} has ${head.ContentLength} bytes, not ${size}`);
  if (head.Metadata?.sha256 !== sha256) throw new Error(`The copy at s3://${bucket}/${key} does not carry the archive's SHA-256`);
}

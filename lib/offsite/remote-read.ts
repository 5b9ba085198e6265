import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { prisma } from "@/lib/db";
import { s3Client } from "@/lib/offsite/client";
import { getDestination, type Destination } from "@/lib/offsite/destinations";
import { explainS3Error } from "@/lib/offsite/explain";

/** A stored offsite copy a download can be served from when the local archive is gone. */
export interface RemoteCopy {
  destination: Destination;
  bucket: string;
  key: string;
  url: string;
  size: number;
}

/** The newest stored copy of `fileName` whose destination is still configured, or null. */
export async function storedCopyOf(fileName: string, fallbackSize: number | null): Promise<RemoteCopy | null> {
  const copies = await prisma.offsiteCopy.findMany({ where: { fileName, state: "stored" }, orderBy: { updatedAt: "desc" } });
  for (const copy of copies) {
    const destination = await getDestination(copy.destinationId);
    const size = copy.sizeBytes ?? fallbackSize;
    if (!destination || size == null) continue;
    return { destination: { ...destination, bucket: copy.bucket }, bucket: copy.bucket, key: copy.key, url: `s3://${copy.bucket}/${copy.key}`, size };
  }
  return null;
}

/**
 * The bytes `start` to `end` (exclusive) of a stored copy, checked against `sha256` on the way. A hash
 * covers the whole object, so the whole object is read (bytes outside the range are hashed, not sent),
 * and the range's last piece is held back until the hash matches: a copy that does not match ends the
 * stream with an error before the last byte, so the client never holds `Content-Length` bytes of it.
 * Nothing is written to disk, so this works where the disk could not hold the archive (remote-only).
 */
export async function* verifiedRange(copy: RemoteCopy, sha256: string, start: number, end: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const client = s3Client(copy.destination);
  let body: Readable | undefined;
  try {
    try {
      const got = await client.send(new GetObjectCommand({ Bucket: copy.bucket, Key: copy.key }), { abortSignal: signal });
      body = got.Body as Readable;
    } catch (error) {
      throw new Error(explainS3Error(error, copy.destination, "read the backup"));
    }
    const hash = createHash("sha256");
    let offset = 0;
    let held: Uint8Array | null = null;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      const from = Math.max(start, offset);
      const to = Math.min(end, offset + chunk.length);
      if (from < to) {
        if (held) yield held;
        held = chunk.subarray(from - offset, to - offset);
      }
      offset += chunk.length;
    }
    if (offset !== copy.size) throw new Error(`The copy at ${copy.url} has ${offset} bytes, not the ${copy.size} recorded`);
    const actual = hash.digest("hex");
    if (actual !== sha256) throw new Error(`The copy at ${copy.url} is damaged: its SHA-256 is ${actual}, not the ${sha256} recorded`);
    if (held) yield held;
  } finally {
    body?.destroy();
    client.destroy();
  }
}

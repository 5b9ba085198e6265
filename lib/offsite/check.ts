import { randomBytes, createHash } from "node:crypto";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { s3Client, endpointLabel } from "@/lib/offsite/client";
import type { Destination } from "@/lib/offsite/destinations";
import { explainS3Error } from "@/lib/offsite/explain";

export interface DestinationCheck {
  step: "list" | "write" | "read" | "delete";
  ok: boolean;
  message: string;
}

/**
 * What **Check** does on the settings page: the four things a backup will need, in the order it needs
 * them, each said in one sentence. It stops at the first failure (the later steps would only repeat it),
 * except that a probe written is always deleted.
 */
export async function checkDestination(destination: Destination): Promise<DestinationCheck[]> {
  const client = s3Client(destination, { maxAttempts: 1, connectTimeoutMs: 5_000, requestTimeoutMs: 20_000 });
  const where = `bucket "${destination.bucket}" at ${endpointLabel(destination)}`;
  const key = `${destination.prefix}.safekeep-check-${Date.now()}-${randomBytes(4).toString("hex")}`;
  const body = randomBytes(1024);
  const results: DestinationCheck[] = [];
  const attempt = async (step: DestinationCheck["step"], doing: string, work: () => Promise<string>): Promise<boolean> => {
    try {
      results.push({ step, ok: true, message: await work() });
      return true;
    } catch (error) {
      results.push({ step, ok: false, message: explainS3Error(error, destination, doing) });
      return false;
    }
  };
  try {
    if (
      !(await attempt("list", "list objects", async () => {
        const listed = await client.send(new ListObjectsV2Command({ Bucket: destination.bucket, Prefix: destination.prefix, MaxKeys: 5 }));
        return `Listed ${where}${destination.prefix ? ` under "${destination.prefix}"` : ""}: ${listed.KeyCount ?? 0}${listed.IsTruncated ? "+" : ""} object(s).`;
      }))
    )
      return results;
    const wrote = await attempt("write", "write objects", async () => {
      await client.send(new PutObjectCommand({ Bucket: destination.bucket, Key: key, Body: body, ContentLength: body.length }));
      return `Wrote a 1 KB probe object (${key}).`;
    });
    if (!wrote) return results;
    await attempt("read", "read objects", async () => {
      const got = await client.send(new GetObjectCommand({ Bucket: destination.bucket, Key: key }));
      const back = Buffer.from(await got.Body!.transformToByteArray());
      const same = createHash("sha256").update(back).digest("hex") === createHash("sha256").update(body).digest("hex");
      if (!same) throw Object.assign(new Error("the probe read back differs from what was written"), { name: "Mismatch" });
      return "Read the probe back: the same bytes.";
    });
    await attempt("delete", "delete objects", async () => {
      await client.send(new DeleteObjectCommand({ Bucket: destination.bucket, Key: key }));
      return "Deleted the probe: the bucket is as it was.";
    });
    return results;
  } finally {
    client.destroy();
  }
}

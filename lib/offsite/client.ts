import { S3Client } from "@aws-sdk/client-s3";
import type { Destination } from "@/lib/offsite/destinations";

export interface ClientOptions {
  /** The SDK's own attempts per request; the uploader retries whole parts itself and asks for 1. */
  maxAttempts?: number;
  /** Milliseconds to wait for a connection, then for each answer. */
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/**
 * One S3 client for one destination. Credentials go to the SDK in memory only (never the environment of a
 * child or a command line). Checksums are sent only where S3 requires them: R2, B2 and older MinIO
 * reject the SDK's newer default checksum headers, and the archive carries its own SHA-256 anyway.
 */
export function s3Client(destination: Destination, options: ClientOptions = {}): S3Client {
  return new S3Client({
    region: destination.region || "us-east-1",
    endpoint: destination.endpoint || undefined,
    forcePathStyle: destination.forcePathStyle,
    credentials: { accessKeyId: destination.accessKeyId, secretAccessKey: destination.secretAccessKey },
    maxAttempts: options.maxAttempts ?? 3,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: {
      connectionTimeout: options.connectTimeoutMs ?? 10_000,
      requestTimeout: options.requestTimeoutMs ?? 120_000,
    },
  });
}

/** The endpoint as people read it in a sentence. */
export function endpointLabel(destination: Pick<Destination, "endpoint" | "region">): string {
  return destination.endpoint || `AWS S3 (${destination.region || "us-east-1"})`;
}

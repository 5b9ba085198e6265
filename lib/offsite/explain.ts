import type { Destination } from "@/lib/offsite/destinations";
import { endpointLabel } from "@/lib/offsite/client";

interface SdkError {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
  errors?: unknown[];
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: "the connection was refused (nothing listens there)",
  ENOTFOUND: "the host name does not resolve",
  EAI_AGAIN: "the host name could not be resolved (DNS)",
  ETIMEDOUT: "the connection timed out",
  EHOSTUNREACH: "the host is unreachable",
  ENETUNREACH: "the network is unreachable",
  ECONNRESET: "the connection was reset",
  EPIPE: "the connection was closed while sending",
  CERT_HAS_EXPIRED: "its TLS certificate has expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "its TLS certificate is self-signed",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "its TLS certificate cannot be verified",
};

function networkCode(error: SdkError | undefined, depth = 0): string | undefined {
  if (!error || depth > 4) return undefined;
  if (error.code && NETWORK_CODES[error.code]) return error.code;
  for (const inner of [error.cause, ...(error.errors ?? [])]) {
    const found = networkCode(inner as SdkError, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** What an S3 error means for the person who set the destination up, in one sentence. Never the secret. */
export function explainS3Error(raw: unknown, destination: Destination, doing = "reach the bucket"): string {
  const error = (raw ?? {}) as SdkError;
  const name = error.name ?? error.Code ?? "";
  const status = error.$metadata?.httpStatusCode;
  const where = endpointLabel(destination);
  const net = networkCode(error);
  if (net) return `Cannot reach ${where}: ${NETWORK_CODES[net]}. Check the endpoint address and that this machine can connect to it.`;
  if (name === "TimeoutError" || name === "RequestTimeout" || /timed? ?out/i.test(error.message ?? "")) {
    return `Cannot reach ${where}: it did not answer in time. Check the endpoint address and the network.`;
  }
  // Our own errors (a size or checksum that does not match) already say what happened.
  if (name === "Error" && !error.$metadata) return error.message ?? "Unknown error";
  switch (name) {
    case "InvalidAccessKeyId":
      return `The access key is not known to ${where}: check the access key ID in the destination's settings.`;
    case "SignatureDoesNotMatch":
      return `The secret does not match the access key at ${where}: enter the secret again.`;
    case "RequestTimeTooSkewed":
      return `This machine's clock differs from ${where}'s by more than 15 minutes: set the clock (NTP) and try again.`;
    case "NoSuchBucket":
      return `There is no bucket "${destination.bucket}" at ${where}: create it, or correct the bucket name (and the region).`;
    case "AccessDenied":
    case "Forbidden":
      return `The key is valid but not allowed to ${doing} in bucket "${destination.bucket}": give it read, write, list and delete on the bucket.`;
    case "PermanentRedirect":
    case "AuthorizationHeaderMalformed":
    case "IllegalLocationConstraintException":
      return `The bucket "${destination.bucket}" is in another region than "${destination.region}": set the bucket's region.`;
    case "NoSuchKey":
    case "NotFound":
      return `The object is not in bucket "${destination.bucket}" at ${where}.`;
  }
  if (status === 404) return `There is no bucket "${destination.bucket}" at ${where} (or no such object): check the bucket name and the path-style setting.`;
  if (status === 403) return `${where} refused the request (403): check the access key, the secret and the key's permissions on "${destination.bucket}".`;
  if (status === 301 || status === 307)
    return `The bucket "${destination.bucket}" is in another region or needs another endpoint: check the region and endpoint.`;
  const said = (error.message ?? "").replace(/\s+/g, " ").slice(0, 200);
  return `${where} could not ${doing}: ${name || `HTTP ${status ?? "?"}`}${said && said !== name ? ` (${said})` : ""}.`;
}

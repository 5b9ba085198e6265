import { z } from "zod";
import { prisma } from "@/lib/db";
import { openSecret, sealSecret } from "@/lib/secret-box";

/**
 * Offsite destinations: S3-compatible buckets a backup is copied to. Each page-made destination is one
 * Setting row (`offsite.destination.<id>`, JSON, the secret sealed), apart from the main settings object;
 * one more can come from the environment alone (id `env`), with the SDK's own variable names, so a fresh
 * install can reach its bucket before it has a database (disaster recovery).
 */
export const DESTINATION_KEY_PREFIX = "offsite.destination.";
export const ENV_DESTINATION_ID = "env";
const MASK = "********";

const oneLine = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .regex(/^[^\0\r\n]*$/, "Must be a single line");

/** Where a copy goes. `secretAccessKey` is in clear only in memory, on the server. */
export const destinationSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "Lower-case letters, digits and - only (at most 32)"),
  name: oneLine(80).min(1, "Give it a name"),
  endpoint: oneLine(500).refine((v) => v === "" || isHttpUrl(v), {
    message: "An http:// or https:// address without a user name or path (empty means AWS S3)",
  }),
  region: oneLine(64)
    .regex(/^[A-Za-z0-9-]*$/, "Letters, digits and - only")
    .transform((v) => v || "us-east-1"),
  bucket: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, "A bucket name: 3–63 lower-case letters, digits, '.', '-' or '_'"),
  prefix: oneLine(300)
    .refine((v) => !v.split("/").some((part) => part === ".." || part === "."), { message: "No '.' or '..' in the prefix" })
    .transform(normalisePrefix),
  accessKeyId: oneLine(200).min(1, "The access key is required"),
  secretAccessKey: oneLine(400).min(1, "The secret is required"),
  forcePathStyle: z.boolean(),
  /** The archive streams to the bucket as it is written and no local copy is kept. */
  remoteOnly: z.boolean(),
  /** Retention on this destination: keep the newest N; GFS on top when `gfs` is set. */
  keepLast: z.coerce.number().int().min(1).max(10_000),
  gfs: z.boolean(),
  /** MB (1024²) this destination's unpinned copies may take; 0 for no cap. Rows saved before it have none. */
  sizeCapMb: z.coerce.number().int().min(0, "0 for no cap").max(1_000_000_000).default(0),
});

export type Destination = z.infer<typeof destinationSchema>;
/** What a page may see: the secret is a mask, or empty when none is stored. */
export type DestinationView = Omit<Destination, "secretAccessKey"> & { secretAccessKey: string; fromEnvironment: boolean };

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === "http:" || url.protocol === "https:") && !url.username && !url.password && (url.pathname === "/" || url.pathname === "") && !url.search
    );
  } catch {
    return false;
  }
}

/** `a/b` and `/a/b/` both become `a/b/`; empty stays empty (the bucket's root). */
export function normalisePrefix(prefix: string): string {
  const parts = prefix.split("/").filter(Boolean);
  return parts.length ? `${parts.join("/")}/` : "";
}

const truthy = (v: string | undefined) => /^(1|true|yes|on)$/i.test((v ?? "").trim());

/** The one destination the environment sets, or null when `BACKUP_S3_BUCKET` is not set. */
export function environmentDestination(env: Record<string, string | undefined> = process.env): Destination | null {
  if (!env.BACKUP_S3_BUCKET) return null;
  const parsed = destinationSchema.safeParse({
    id: ENV_DESTINATION_ID,
    name: "From the environment",
    endpoint: env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? "",
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "",
    bucket: env.BACKUP_S3_BUCKET,
    prefix: env.BACKUP_S3_PREFIX ?? "",
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? "",
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "",
    forcePathStyle: truthy(env.BACKUP_S3_FORCE_PATH_STYLE),
    remoteOnly: truthy(env.BACKUP_S3_REMOTE_ONLY),
    keepLast: env.BACKUP_S3_KEEP ?? "30",
    gfs: truthy(env.BACKUP_S3_GFS),
    sizeCapMb: env.BACKUP_S3_SIZE_CAP_MB || "0",
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`The offsite destination in the environment is not valid: ${String(issue.path[0])}: ${issue.message}`);
  }
  return parsed.data;
}

/** Every destination, the environment's first; the secrets opened. */
export async function listDestinations(): Promise<Destination[]> {
  const rows = await prisma.setting.findMany({ where: { key: { startsWith: DESTINATION_KEY_PREFIX } }, orderBy: { key: "asc" } });
  const stored: Destination[] = [];
  for (const row of rows) {
    const parsed = destinationSchema.safeParse(JSON.parse(row.value));
    // A row that no longer validates is skipped rather than breaking every backup; the page shows the rest.
    if (parsed.success) stored.push({ ...parsed.data, secretAccessKey: openSecret(parsed.data.secretAccessKey) });
  }
  const env = environmentDestination();
  return env ? [env, ...stored.filter((d) => d.id !== ENV_DESTINATION_ID)] : stored;
}

export async function getDestination(id: string): Promise<Destination | null> {
  return (await listDestinations()).find((d) => d.id === id) ?? null;
}

export function viewDestination(destination: Destination): DestinationView {
  return {
    ...destination,
    secretAccessKey: destination.secretAccessKey ? MASK : "",
    fromEnvironment: destination.id === ENV_DESTINATION_ID,
  };
}

export async function listDestinationViews(): Promise<DestinationView[]> {
  return (await listDestinations()).map(viewDestination);
}

/** Form input → a destination to save; the mask sent back keeps the stored secret. */
export function mergeDestinationSecret(submitted: string, stored: string | undefined): string {
  return submitted === MASK ? (stored ?? "") : submitted;
}

export async function saveDestination(destination: Destination): Promise<void> {
  if (destination.id === ENV_DESTINATION_ID) throw new Error("The environment's destination is changed in the environment, not here");
  const valid = destinationSchema.parse(destination);
  const value = JSON.stringify({ ...valid, secretAccessKey: sealSecret(valid.secretAccessKey) });
  const key = DESTINATION_KEY_PREFIX + valid.id;
  await prisma.setting.upsert({ where: { key }, create: { key, value }, update: { value } });
}

export async function removeDestination(id: string): Promise<boolean> {
  const removed = await prisma.setting.deleteMany({ where: { key: DESTINATION_KEY_PREFIX + id } });
  return removed.count > 0;
}

/** Where a copy of `fileName` lives in a destination, as people read it and as `backup:restore` takes it. */
export function objectKey(destination: Pick<Destination, "prefix">, fileName: string): string {
  return `${destination.prefix}${fileName}`;
}

export function s3Url(destination: Pick<Destination, "bucket" | "prefix">, fileName: string): string {
  return `s3://${destination.bucket}/${objectKey(destination, fileName)}`;
}

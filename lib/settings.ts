import path from "node:path";
import { z } from "zod";
import { prisma } from "@/lib/db";
import { keptUntilChange } from "@/lib/db-generation";
import { fromRoot } from "@/lib/config";
import { cronProblem } from "@/lib/schedule/plan";
import { openSecret, sealSecret } from "@/lib/secret-box";
import { splitSave } from "@/lib/settings-origin";

/**
 * Settings that hold passwords are stored sealed (lib/secret-box.ts), so the portal's database — which
 * its own backups carry — never holds them in clear. The database URL is sealed whole: it carries its password.
 */
const SEALED_KEYS = new Set<string>(["smtpPassword", "databaseUrl", "encryptionPassphrase"]);

function storedValue(key: string, value: unknown): string {
  return JSON.stringify(SEALED_KEYS.has(key) && typeof value === "string" ? sealSecret(value) : value);
}

function readStoredValue(key: string, stored: string): unknown {
  const value = JSON.parse(stored) as unknown;
  return SEALED_KEYS.has(key) && typeof value === "string" ? openSecret(value) : value;
}
import { databaseUrlHint, isKnownDatabaseUrl } from "@/lib/backup/database/registry";
import { parseRecipient } from "@/lib/backup/crypto/age";

function isAgeRecipient(text: string): boolean {
  try {
    parseRecipient(text);
    return true;
  } catch {
    return false;
  }
}

const commandPath = z
  .string()
  .trim()
  .min(1, "Required")
  .max(500, "Too long")
  .regex(/^[^\0\r\n]+$/, "Must be a single line");

const pathList = z
  .array(
    z
      .string()
      .trim()
      .min(1)
      .max(1000)
      .regex(/^[^\0\r\n]+$/),
  )
  .max(100);

export const databaseUrlSchema = z
  .string()
  .trim()
  .max(2000)
  .refine((v) => isKnownDatabaseUrl(v), { error: () => databaseUrlHint() });

const settingsFields = z.object({
  enableBackupModule: z.boolean(),
  backupAccess: z.enum(["admin", "user"]),
  runtimeBinary: commandPath,
  mysqldumpPath: commandPath,
  pgDumpPath: commandPath,
  databaseUrl: databaseUrlSchema,
  fileRoots: pathList,
  excludeGlobs: pathList,
  backupDir: commandPath.refine((v) => !isInsidePublic(v), {
    message: "The backup directory must be outside public/, or anyone could download backups",
  }),
  backupName: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/, "Letters, digits, - and _ only (at most 40)"),
  deleteAfterDownload: z.boolean(),
  verifyAfterBackup: z.boolean(),
  drillSchedule: z.string().trim().max(100),
  drillScratchDatabase: z.boolean(),
  compression: z.enum(["fast", "balanced", "small"]),
  maxBackups: z.coerce.number().int().min(1, "Keep at least 1").max(10_000),
  /** Beside "keep N": a grandfather-father-son ladder (lib/offsite/gfs.ts) for the backup directory. */
  retentionPolicy: z.enum(["count", "gfs"]),
  /** MB (1024²) the backup directory's unpinned backups may take; 0 for no cap. The newest is never removed. */
  retentionSizeCapMb: z.coerce.number().int().min(0, "0 for no cap").max(1_000_000_000),
  smtpHost: z
    .string()
    .trim()
    .max(300)
    .regex(/^[A-Za-z0-9.:\[\]-]*$/, "A host name or address"),
  smtpPort: z.coerce.number().int().min(1).max(65535),
  smtpSecure: z.boolean(),
  smtpUser: z.string().trim().max(300),
  smtpPassword: z.string().max(300),
  mailFrom: z.string().trim().max(300),
  notifyEmails: z
    .array(
      z
        .string()
        .trim()
        .toLowerCase()
        .max(200)
        .regex(/^[^\s@]+@[^\s@]+$/, "Not an email address"),
    )
    .max(50),
  scheduleDaily: z.string().trim().max(100),
  scheduleWeekly: z.string().trim().max(100),
  scheduleTimezone: z.string().trim().max(100),
  /** age v1 at rest: to public keys (the portal cannot read its own backups), or with a passphrase it keeps. */
  encryption: z.enum(["off", "recipients", "passphrase"]),
  encryptionRecipients: z
    .array(
      z
        .string()
        .trim()
        .regex(/^age1[02-9ac-hj-np-z]{58}$/, "Not an age public key (age1 followed by 58 letters and digits)")
        .refine(isAgeRecipient, "Not an age public key: its checksum does not match (a character was mistyped)"),
    )
    .max(20),
  encryptionPassphrase: z.string().max(1000),
});

/** Long enough that scrypt's cost is not the only thing between a thief and the backups. */
export const MIN_PASSPHRASE_LENGTH = 12;

export const settingsSchema = settingsFields.superRefine((s, ctx) => {
  for (const key of ["scheduleDaily", "scheduleWeekly", "drillSchedule"] as const) {
    const problem = cronProblem(s[key], s.scheduleTimezone);
    if (problem) ctx.addIssue({ code: "custom", path: [key], message: `Not a valid cron expression or time zone: ${problem}` });
  }
  if (s.encryption === "recipients" && s.encryptionRecipients.length === 0)
    ctx.addIssue({ code: "custom", path: ["encryptionRecipients"], message: "Encryption to public keys needs at least one public key" });
  if (s.encryption === "passphrase" && s.encryptionPassphrase.length < MIN_PASSPHRASE_LENGTH)
    ctx.addIssue({ code: "custom", path: ["encryptionPassphrase"], message: `The passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters long` });
});

export type Settings = z.infer<typeof settingsSchema>;
export type SettingKey = keyof Settings;

export function isInsidePublic(dir: string): boolean {
  const publicDir = fromRoot("public");
  const resolved = fromRoot(dir);
  return resolved === publicDir || resolved.startsWith(publicDir + path.sep);
}

function listFromEnv(value: string | undefined, fallback: string[]): string[] {
  if (value === undefined) return fallback;
  return value
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Environment variables give the defaults; the settings page stores overrides on top. */
export function defaultSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  return {
    enableBackupModule: env.BACKUP_MODULE_ENABLED === "true",
    backupAccess: env.BACKUP_ACCESS === "user" ? "user" : "admin",
    runtimeBinary: env.BACKUP_RUNTIME_BINARY ?? "node",
    mysqldumpPath: env.MYSQLDUMP_PATH ?? "mysqldump",
    pgDumpPath: env.PG_DUMP_PATH ?? "pg_dump",
    databaseUrl: env.BACKUP_DATABASE_URL ?? "",
    fileRoots: listFromEnv(env.BACKUP_FILE_ROOTS, ["storage"]),
    excludeGlobs: listFromEnv(env.BACKUP_EXCLUDE, []),
    backupDir: env.BACKUP_DIR ?? "var/backup",
    backupName: env.BACKUP_NAME ?? "safekeep",
    deleteAfterDownload: env.BACKUP_DELETE_AFTER_DOWNLOAD === "true",
    verifyAfterBackup: env.BACKUP_VERIFY !== "false",
    // Weekly, Monday 03:00 in the schedule's time zone: the newest backup restored into scratch places.
    drillSchedule: env.BACKUP_DRILL_SCHEDULE ?? "0 3 * * 1",
    drillScratchDatabase: env.BACKUP_DRILL_DATABASE === "true",
    compression: env.BACKUP_COMPRESSION === "fast" || env.BACKUP_COMPRESSION === "small" ? env.BACKUP_COMPRESSION : "balanced",
    maxBackups: Number(env.MAX_BACKUPS) > 0 ? Math.floor(Number(env.MAX_BACKUPS)) : 10,
    retentionPolicy: env.BACKUP_RETENTION === "gfs" ? "gfs" : "count",
    retentionSizeCapMb: Number(env.BACKUP_SIZE_CAP_MB) > 0 ? Math.floor(Number(env.BACKUP_SIZE_CAP_MB)) : 0,
    smtpHost: env.SMTP_HOST ?? "",
    smtpPort: Number(env.SMTP_PORT) || 587,
    smtpSecure: env.SMTP_SECURE === "true",
    smtpUser: env.SMTP_USER ?? "",
    smtpPassword: env.SMTP_PASSWORD ?? "",
    mailFrom: env.MAIL_FROM ?? "Safekeep <safekeep@localhost>",
    notifyEmails: listFromEnv(env.BACKUP_NOTIFY_EMAILS, []),
    scheduleDaily: env.BACKUP_SCHEDULE ?? "0 0 * * *",
    scheduleWeekly: env.BACKUP_SCHEDULE_WEEKLY ?? "0 2 * * 0",
    scheduleTimezone: env.BACKUP_SCHEDULE_TZ ?? env.TZ ?? "UTC",
    encryption: encryptionFromEnv(env),
    encryptionRecipients: listFromEnv(env.BACKUP_ENCRYPTION_RECIPIENTS, []),
    encryptionPassphrase: env.BACKUP_ENCRYPTION_PASSPHRASE ?? "",
  };
}

/** BACKUP_ENCRYPTION says which; without it, whichever of the key variables is set. */
function encryptionFromEnv(env: NodeJS.ProcessEnv): Settings["encryption"] {
  const said = env.BACKUP_ENCRYPTION;
  if (said === "off" || said === "passphrase") return said;
  if (said === "recipients" || said === "public-key") return "recipients";
  if (env.BACKUP_ENCRYPTION_RECIPIENTS?.trim()) return "recipients";
  if (env.BACKUP_ENCRYPTION_PASSPHRASE) return "passphrase";
  return "off";
}

/** zlib levels: 1 is several times faster than 6 for a few percent more bytes; 9 rarely pays. */
export const COMPRESSION_LEVELS = { fast: 1, balanced: 6, small: 9 } as const;

/**
 * The last settings worked out, by what they were worked out from (the environment's defaults, the rows,
 * the key that opens sealed ones). Every request reads the rows; checking them all again with zod (whose
 * schedule checks run croner) cost about 2 ms a request, a third of a progress poll.
 */
let lastParsed: { from: string; settings: Settings } | null = null;

const keptSettingRows = keptUntilChange((_all: "all") => prisma.setting.findMany({ orderBy: { key: "asc" } }));

/** Every stored setting row (the settings and the portal's own notes such as the address admins use), read once per change. */
export const settingRows = () => keptSettingRows("all");

export async function loadSettings(): Promise<Settings> {
  const defaults = defaultSettings();
  const rows = await settingRows();
  const from = JSON.stringify([defaults, process.env.SAFEKEEP_SECRETS_KEY ?? "", process.env.NEXTAUTH_SECRET ?? "", rows.map((row) => [row.key, row.value])]);
  // A copy each time: callers may change what they are given.
  if (lastParsed?.from === from) return structuredClone(lastParsed.settings);
  const settings = parseSettings(defaults, rows);
  lastParsed = { from, settings };
  return structuredClone(settings);
}

function parseSettings(defaults: Settings, rows: { key: string; value: string }[]): Settings {
  const stored: Record<string, unknown> = {};
  for (const row of rows) {
    if (row.key in defaults) stored[row.key] = readStoredValue(row.key, row.value);
  }
  // A stored value that no longer validates falls back to its default rather than breaking every page.
  const merged = { ...defaults, ...stored };
  const parsed = settingsSchema.safeParse(merged);
  if (parsed.success) return parsed.data;
  const clean: Record<string, unknown> = { ...merged };
  for (const issue of parsed.error.issues) {
    const key = issue.path[0] as SettingKey;
    clean[key] = defaults[key];
  }
  return settingsSchema.parse(clean);
}

/** Stores only the fields that differ from the environment/default (lib/settings-origin.ts); the rest follow it. */
export async function saveSettings(changes: Partial<Settings>): Promise<void> {
  const { store, forget } = splitSave(settingsFields.partial().parse(changes));
  await prisma.$transaction([
    prisma.setting.deleteMany({ where: { key: { in: forget } } }),
    ...store.map(([key, value]) =>
      prisma.setting.upsert({
        where: { key },
        create: { key, value: storedValue(key, value) },
        update: { value: storedValue(key, value) },
      }),
    ),
  ]);
}

export function resolvedBackupDir(settings: Settings): string {
  return fromRoot(settings.backupDir);
}

const PASSWORD_MASK = "********";

/** The database URL as shown on a page: the password never leaves the server. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = PASSWORD_MASK;
    return parsed.toString();
  } catch {
    return url;
  }
}

/** A secret shown on a page as the mask: submitting the mask back keeps the stored value. */
export function maskSecret(value: string): string {
  return value ? PASSWORD_MASK : "";
}

export function mergeSecret(submitted: string, stored: string): string {
  return submitted === PASSWORD_MASK ? stored : submitted;
}

/** A submitted URL that still carries the mask keeps the stored password. */
export function mergeDatabaseUrl(submitted: string, stored: string): string {
  if (!submitted.includes(PASSWORD_MASK) || redactDatabaseUrl(stored) !== submitted) return submitted;
  return stored;
}

import path from "node:path";
import { z } from "zod";
import { prisma } from "@/lib/db";
import { fromRoot } from "@/lib/config";

const commandPath = z
  .string()
  .trim()
  .min(1, "Required")
  .max(500, "Too long")
  .regex(/^[^\0\r\n]+$/, "Must be a single line");

const pathList = z.array(z.string().trim().min(1).max(1000).regex(/^[^\0\r\n]+$/)).max(100);

export const databaseUrlSchema = z
  .string()
  .trim()
  .max(2000)
  .refine((v) => v === "" || /^(file:|mysql:\/\/|mariadb:\/\/|postgres:\/\/|postgresql:\/\/)/.test(v), {
    message: "Use file:, mysql://, mariadb://, postgres:// or postgresql:// (empty means the portal's own database)",
  });

export const settingsSchema = z.object({
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
  compressionLevel: z.enum(["fast", "balanced", "small"]),
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
  return value.split(/[,\n]/).map((s) => s.trim()).filter(Boolean);
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
    compressionLevel: env.BACKUP_COMPRESSION_LEVEL === "fast" || env.BACKUP_COMPRESSION_LEVEL === "small" ? env.BACKUP_COMPRESSION_LEVEL : "balanced",
  };
}

export async function loadSettings(): Promise<Settings> {
  const defaults = defaultSettings();
  const rows = await prisma.setting.findMany();
  const stored: Record<string, unknown> = {};
  for (const row of rows) {
    if (row.key in defaults) stored[row.key] = JSON.parse(row.value);
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

export async function saveSettings(changes: Partial<Settings>): Promise<void> {
  const valid = settingsSchema.partial().parse(changes);
  await prisma.$transaction(
    Object.entries(valid).map(([key, value]) =>
      prisma.setting.upsert({
        where: { key },
        create: { key, value: JSON.stringify(value) },
        update: { value: JSON.stringify(value) },
      }),
    ),
  );
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

/** A submitted URL that still carries the mask keeps the stored password. */
export function mergeDatabaseUrl(submitted: string, stored: string): string {
  if (!submitted.includes(PASSWORD_MASK) || redactDatabaseUrl(stored) !== submitted) return submitted;
  return stored;
}

/** The deflate level each choice means: fast is what `zip -1` does, balanced zip's default, small `zip -9`. */
export const DEFLATE_LEVELS: Record<Settings["compressionLevel"], number> = { fast: 1, balanced: 6, small: 9 };

import { prisma } from "@/lib/db";
import { defaultSettings, type SettingKey, type Settings } from "@/lib/settings";

/** The environment variable(s) each setting's default comes from; the first one set wins. */
export const SETTING_ENV = {
  enableBackupModule: ["BACKUP_MODULE_ENABLED"],
  backupAccess: ["BACKUP_ACCESS"],
  runtimeBinary: ["BACKUP_RUNTIME_BINARY"],
  mysqldumpPath: ["MYSQLDUMP_PATH"],
  pgDumpPath: ["PG_DUMP_PATH"],
  databaseUrl: ["BACKUP_DATABASE_URL"],
  fileRoots: ["BACKUP_FILE_ROOTS"],
  excludeGlobs: ["BACKUP_EXCLUDE"],
  backupDir: ["BACKUP_DIR"],
  backupName: ["BACKUP_NAME"],
  deleteAfterDownload: ["BACKUP_DELETE_AFTER_DOWNLOAD"],
  verifyAfterBackup: ["BACKUP_VERIFY"],
  drillSchedule: ["BACKUP_DRILL_SCHEDULE"],
  drillScratchDatabase: ["BACKUP_DRILL_DATABASE"],
  compression: ["BACKUP_COMPRESSION"],
  maxBackups: ["MAX_BACKUPS"],
  retentionPolicy: ["BACKUP_RETENTION"],
  retentionSizeCapMb: ["BACKUP_SIZE_CAP_MB"],
  smtpHost: ["SMTP_HOST"],
  smtpPort: ["SMTP_PORT"],
  smtpSecure: ["SMTP_SECURE"],
  smtpUser: ["SMTP_USER"],
  smtpPassword: ["SMTP_PASSWORD"],
  mailFrom: ["MAIL_FROM"],
  notifyEmails: ["BACKUP_NOTIFY_EMAILS"],
  scheduleDaily: ["BACKUP_SCHEDULE"],
  scheduleWeekly: ["BACKUP_SCHEDULE_WEEKLY"],
  scheduleTimezone: ["BACKUP_SCHEDULE_TZ", "TZ"],
  encryption: ["BACKUP_ENCRYPTION", "BACKUP_ENCRYPTION_RECIPIENTS", "BACKUP_ENCRYPTION_PASSPHRASE"],
  encryptionRecipients: ["BACKUP_ENCRYPTION_RECIPIENTS"],
  encryptionPassphrase: ["BACKUP_ENCRYPTION_PASSPHRASE"],
} as const satisfies Record<SettingKey, readonly string[]>;

/** How each setting is called in sentences (audit, messages, the CLI). */
export const SETTING_LABELS: Record<SettingKey, string> = {
  enableBackupModule: "Enable the backup module",
  backupAccess: "Who can manage backups",
  runtimeBinary: "Runtime binary",
  mysqldumpPath: "mysqldump path",
  pgDumpPath: "pg_dump path",
  databaseUrl: "Database URL",
  fileRoots: "File roots",
  excludeGlobs: "Exclude",
  backupDir: "Backup directory",
  backupName: "Backup name",
  deleteAfterDownload: "Delete after download",
  verifyAfterBackup: "Read every backup back",
  drillSchedule: "Restore drill schedule",
  drillScratchDatabase: "Scratch database for drills",
  compression: "Compression",
  maxBackups: "Backups to keep",
  retentionPolicy: "Retention on this server",
  retentionSizeCapMb: "Size cap on this server (MB)",
  smtpHost: "SMTP host",
  smtpPort: "SMTP port",
  smtpSecure: "SMTP TLS",
  smtpUser: "SMTP user",
  smtpPassword: "SMTP password",
  mailFrom: "From",
  notifyEmails: "Who hears about runs",
  scheduleDaily: "Daily backup",
  scheduleWeekly: "Weekly backup",
  scheduleTimezone: "Time zone of the schedule",
  encryption: "Encryption at rest",
  encryptionRecipients: "Public keys backups are encrypted to",
  encryptionPassphrase: "Encryption passphrase",
};

export const SETTING_KEYS = Object.keys(SETTING_ENV) as [SettingKey, ...SettingKey[]];

export type SettingSource = { source: "saved" } | { source: "environment"; variable: string } | { source: "default" };

/** Where each setting's value comes from now: saved on the settings page, the environment, or the built-in default. */
export async function settingSources(env: Record<string, string | undefined> = process.env): Promise<Record<SettingKey, SettingSource>> {
  const saved = new Set((await prisma.setting.findMany({ select: { key: true } })).map((r) => r.key));
  const out = {} as Record<SettingKey, SettingSource>;
  for (const key of SETTING_KEYS) {
    const variable = SETTING_ENV[key].find((name) => env[name] !== undefined);
    out[key] = saved.has(key) ? { source: "saved" } : variable ? { source: "environment", variable } : { source: "default" };
  }
  return out;
}

/**
 * Splits a save into what to store and what to forget: a field equal to what the environment or the
 * default gives is not stored, so it keeps following the environment (a later BACKUP_DATABASE_URL counts).
 */
export function splitSave(valid: Partial<Settings>, env: NodeJS.ProcessEnv = process.env): { store: [SettingKey, unknown][]; forget: SettingKey[] } {
  const defaults = defaultSettings(env);
  const store: [SettingKey, unknown][] = [];
  const forget: SettingKey[] = [];
  for (const [key, value] of Object.entries(valid) as [SettingKey, unknown][]) {
    if (JSON.stringify(value) === JSON.stringify(defaults[key])) forget.push(key);
    else store.push([key, value]);
  }
  return { store, forget };
}

/** Forgets a saved value: the setting follows the environment or the default again. True when one was saved. */
export async function forgetSetting(key: SettingKey): Promise<boolean> {
  return (await prisma.setting.deleteMany({ where: { key } })).count > 0;
}

import { redactDatabaseUrl, type SettingKey, type Settings } from "@/lib/settings";

/** What each setting is called on the settings page, for sentences people read (never the field's key). */
export const SETTING_LABELS: Record<SettingKey, string> = {
  enableBackupModule: "backup module",
  backupAccess: "who can manage backups",
  runtimeBinary: "runtime binary",
  mysqldumpPath: "mysqldump path",
  pgDumpPath: "pg_dump path",
  databaseUrl: "database to back up",
  fileRoots: "file roots",
  excludeGlobs: "excluded files",
  backupDir: "backup directory",
  backupName: "backup name",
  deleteAfterDownload: "delete after download",
  verifyAfterBackup: "read back after writing",
  drillSchedule: "restore drill schedule",
  drillScratchDatabase: "scratch database for drills",
  compression: "compression",
  maxBackups: "backups to keep",
  retentionPolicy: "retention on this server",
  retentionSizeCapMb: "size cap on this server",
  smtpHost: "SMTP host",
  smtpPort: "SMTP port",
  smtpSecure: "SMTP TLS from the start",
  smtpUser: "SMTP user",
  smtpPassword: "SMTP password",
  mailFrom: "mail sender",
  notifyEmails: "who hears about unattended runs",
  scheduleDaily: "daily backup",
  scheduleWeekly: "weekly backup",
  scheduleTimezone: "schedule time zone",
  encryption: "encryption",
  encryptionRecipients: "encryption public keys",
  encryptionPassphrase: "encryption passphrase",
};

const MAX_VALUE = 80;

function shorten(text: string): string {
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** One changed setting in words, e.g. "compression: fast"; a secret only says that it changed. */
export function describeSetting(key: SettingKey, saved: Settings): string {
  const label = SETTING_LABELS[key];
  switch (key) {
    case "enableBackupModule":
      return `backup module switched ${saved.enableBackupModule ? "on" : "off"}`;
    case "smtpPassword":
      return saved.smtpPassword ? "SMTP password changed" : "SMTP password removed";
    case "encryptionPassphrase":
      return saved.encryptionPassphrase ? "encryption passphrase changed" : "encryption passphrase removed";
    case "encryption":
      return `${label}: ${{ off: "off", recipients: "to public keys", passphrase: "with a passphrase" }[saved.encryption]}`;
    case "databaseUrl":
      return `${label}: ${saved.databaseUrl ? shorten(redactDatabaseUrl(saved.databaseUrl)) : "the portal's own database"}`;
    case "backupAccess":
      return `${label}: ${saved.backupAccess === "user" ? "every signed-in user" : "administrators"}`;
    case "notifyEmails":
      return `${label}: ${saved.notifyEmails.length ? shorten(saved.notifyEmails.join(", ")) : "every admin"}`;
    case "scheduleDaily":
    case "scheduleWeekly":
      return `${label}: ${saved[key] || "off"}`;
    case "retentionPolicy":
      return `${label}: ${saved.retentionPolicy === "gfs" ? "grandfather-father-son" : `the newest ${saved.maxBackups}`}`;
    case "retentionSizeCapMb":
      return `${label}: ${saved.retentionSizeCapMb ? `${saved.retentionSizeCapMb} MB` : "none"}`;
    default: {
      const value = saved[key];
      if (typeof value === "boolean") return `${label}: ${value ? "on" : "off"}`;
      if (Array.isArray(value)) return `${label}: ${value.length ? shorten(value.join(", ")) : "none"}`;
      return `${label}: ${value === "" ? "none" : shorten(String(value))}`;
    }
  }
}

/** The sentence after a save: "Saved: backup module switched on, compression: fast". */
export function describeSaved(changed: SettingKey[], saved: Settings): string {
  if (changed.length === 0) return "Nothing changed";
  return `Saved: ${changed.map((key) => describeSetting(key, saved)).join(", ")}`;
}

/** The sentence after a refused save, naming the fields to fix. */
export function describeRefused(fields: string[]): string {
  const names = fields.map((f) => SETTING_LABELS[f as SettingKey] ?? f);
  const which = names.length ? `: ${names.join(", ")}` : "";
  return `${names.length === 1 ? "One setting is" : `${names.length || "Some"} settings are`} not valid${which}. Nothing was saved; what you typed is still in the form.`;
}

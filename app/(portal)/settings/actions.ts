"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { adminAction, type ActionState } from "@/lib/auth/action";
import { resetSettingToDefault, runSetupChecks, sendTestMail, SETTING_KEYS, SETTING_LABELS, updateSettings, type CheckResult } from "@/lib/backup";
import { SafekeepError } from "@/lib/errors";
import { maskSecret, mergeDatabaseUrl, mergeSecret, redactDatabaseUrl, settingsSchema, type SettingKey } from "@/lib/settings";
import { describeRefused, describeSaved } from "@/lib/settings-summary";
import { formValuesFromSettings, type SettingsFormValues } from "./form-values";

/** `values` is what the form shows after the answer: what was typed (refused) or what was saved. */
export type SettingsResult = (ActionState & { values?: SettingsFormValues; notes?: Partial<Record<SettingKey, string>> }) | null;

const text = z.string().optional();
const checkbox = z
  .string()
  .optional()
  .transform((v) => v === "on");
const lines = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter(Boolean),
  );

/** The form as posted: every field a string (checkboxes "on" or absent); the settings schema judges the values. */
const settingsForm = z.object({
  enableBackupModule: checkbox,
  backupAccess: text,
  runtimeBinary: text,
  mysqldumpPath: text,
  pgDumpPath: text,
  databaseUrl: text,
  fileRoots: lines,
  excludeGlobs: lines,
  backupDir: text,
  backupName: text,
  deleteAfterDownload: checkbox,
  verifyAfterBackup: checkbox,
  drillSchedule: text,
  drillScratchDatabase: checkbox,
  compression: text,
  maxBackups: text,
  retentionPolicy: text,
  retentionSizeCapMb: text,
  smtpHost: text,
  smtpPort: text,
  smtpSecure: checkbox,
  smtpUser: text,
  smtpPassword: text,
  mailFrom: text,
  notifyEmails: lines,
  scheduleDaily: text,
  scheduleWeekly: text,
  scheduleTimezone: text,
});

/**
 * A refused form comes back as it was typed, so nothing is lost, except passwords: they are not sent back
 * to the page. The field shows what is stored instead, and a note asks for the new one again.
 */
function typedValues(form: z.infer<typeof settingsForm>, stored: { databaseUrl: string; smtpPassword: string }) {
  const values = {} as SettingsFormValues;
  for (const [key, value] of Object.entries(form) as [SettingKey, string | boolean | string[] | undefined][]) {
    values[key] = Array.isArray(value) ? value.join("\n") : (value ?? "");
  }
  const notes: Partial<Record<SettingKey, string>> = {};
  const typedPassword = String(values.smtpPassword);
  if (typedPassword !== maskSecret(stored.smtpPassword)) {
    values.smtpPassword = maskSecret(stored.smtpPassword);
    if (typedPassword) notes.smtpPassword = "The password you typed is not sent back to the page: type it again.";
  }
  const typedUrl = String(values.databaseUrl);
  if (redactDatabaseUrl(typedUrl) !== typedUrl && typedUrl !== redactDatabaseUrl(stored.databaseUrl)) {
    values.databaseUrl = withoutPassword(typedUrl);
    notes.databaseUrl = "The password in the URL you typed is not sent back to the page: type it again.";
  }
  return { values, notes };
}

function withoutPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = "";
  return parsed.toString();
}

export const saveSettingsAction = adminAction(settingsForm, async (form, caller): Promise<NonNullable<SettingsResult>> => {
  // The page shows secrets as a mask: a mask sent back keeps what is stored.
  // Encryption has its own panel and actions (encryption-actions.ts): this form leaves it as it is.
  const { encryption, encryptionRecipients, encryptionPassphrase } = caller.settings;
  const input = settingsSchema.safeParse({
    ...form,
    encryption,
    encryptionRecipients,
    encryptionPassphrase,
    databaseUrl: mergeDatabaseUrl(form.databaseUrl ?? "", caller.settings.databaseUrl),
    smtpPassword: mergeSecret(form.smtpPassword ?? "", caller.settings.smtpPassword),
  });
  if (!input.success) {
    const errors = z.flattenError(input.error).fieldErrors as Record<string, string[]>;
    return { ok: false, status: 422, message: describeRefused(Object.keys(errors)), errors, ...typedValues(form, caller.settings) };
  }
  const changed = await updateSettings(input.data, caller);
  revalidatePath("/", "layout");
  return { ok: true, message: describeSaved(changed as SettingKey[], input.data), values: formValuesFromSettings(input.data) };
});

/** "Reset to default" beside a saved field: the button's name/value says which. */
export const resetSettingAction = adminAction(z.object({ resetKey: z.enum(SETTING_KEYS) }), async ({ resetKey }, caller): Promise<ActionState> => {
  const forgotten = await resetSettingToDefault(resetKey, caller);
  revalidatePath("/", "layout");
  const label = SETTING_LABELS[resetKey];
  return { ok: true, message: forgotten ? `${label} reset: it follows the environment or the default again` : `${label} was not saved here` };
});

export type ChecksResult = (ActionState & { checks?: CheckResult[] }) | null;

/** Checks the saved settings: binaries and their versions, the database, the backup directory, disk space. */
export const runChecksAction = adminAction(z.object({}), async (_input, { settings }) => {
  const checks = await runSetupChecks(settings);
  const failed = checks.filter((c) => !c.ok).length;
  return { ok: failed === 0, message: failed ? `${failed} check(s) failed` : "Everything needed for a backup is in place", checks };
});

export type TestMailResult = ActionState | null;

/** Sends a test mail to the admin who asks, through the saved settings, and reports the SMTP answer. */
export const sendTestMailAction = adminAction(z.object({}), async (_input, { user, settings }) => {
  try {
    const where = await sendTestMail(settings, user.email);
    return { ok: true, message: `Sent to ${user.email} via ${where}` };
  } catch (error) {
    throw new SafekeepError("upstream", `The mail could not be sent: ${(error as Error).message}`);
  }
});

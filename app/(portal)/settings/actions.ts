"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { adminAction, type ActionState } from "@/lib/auth/action";
import { resetSettingToDefault, runSetupChecks, sendTestMail, SETTING_KEYS, SETTING_LABELS, updateSettings, type CheckResult } from "@/lib/backup";
import { SafekeepError } from "@/lib/errors";
import { mergeDatabaseUrl, mergeSecret, settingsSchema } from "@/lib/settings";

export type SettingsResult = ActionState | null;

const text = z.string().optional();
const checkbox = z.string().optional().transform((v) => v === "on");
const lines = z
  .string()
  .optional()
  .transform((v) => (v ?? "").split(/\r?\n/).map((s) => s.trim()).filter(Boolean));

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

export const saveSettingsAction = adminAction(settingsForm, async (form, caller): Promise<ActionState> => {
  // The page shows secrets as a mask: a mask sent back keeps what is stored.
  const input = settingsSchema.safeParse({
    ...form,
    databaseUrl: mergeDatabaseUrl(form.databaseUrl ?? "", caller.settings.databaseUrl),
    smtpPassword: mergeSecret(form.smtpPassword ?? "", caller.settings.smtpPassword),
  });
  if (!input.success) {
    return { ok: false, status: 422, message: "Some settings are not valid; nothing was saved.", errors: z.flattenError(input.error).fieldErrors };
  }
  const changed = await updateSettings(input.data, caller);
  revalidatePath("/", "layout");
  return { ok: true, message: changed.length ? `Saved: ${changed.join(", ")}` : "Nothing changed" };
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

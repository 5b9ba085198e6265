"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { checkAdminAccess } from "@/lib/auth/guards";
import { actorFor } from "@/lib/auth/session";
import { mergeDatabaseUrl, mergeSecret, saveSettings, settingsSchema, type Settings } from "@/lib/settings";
import { runChecks, type CheckResult } from "@/lib/backup/jobs/checks";
import { sendMail } from "@/lib/mail/send";

export type SettingsResult = {
  ok: boolean;
  status?: number;
  message: string;
  errors?: Partial<Record<keyof Settings, string[]>>;
} | null;

const lines = (value: FormDataEntryValue | null) =>
  String(value ?? "").split(/\r?\n/).map((s) => s.trim()).filter(Boolean);

export async function saveSettingsAction(_prev: SettingsResult, form: FormData): Promise<SettingsResult> {
  const access = await checkAdminAccess();
  if (!access.ok) return access;
  const input = settingsSchema.safeParse({
    enableBackupModule: form.get("enableBackupModule") === "on",
    backupAccess: form.get("backupAccess"),
    runtimeBinary: form.get("runtimeBinary"),
    mysqldumpPath: form.get("mysqldumpPath"),
    pgDumpPath: form.get("pgDumpPath"),
    databaseUrl: mergeDatabaseUrl(String(form.get("databaseUrl") ?? ""), access.settings.databaseUrl),
    fileRoots: lines(form.get("fileRoots")),
    excludeGlobs: lines(form.get("excludeGlobs")),
    backupDir: form.get("backupDir"),
    backupName: form.get("backupName"),
    deleteAfterDownload: form.get("deleteAfterDownload") === "on",
    compression: form.get("compression"),
    maxBackups: form.get("maxBackups"),
    smtpHost: form.get("smtpHost"),
    smtpPort: form.get("smtpPort"),
    smtpSecure: form.get("smtpSecure") === "on",
    smtpUser: form.get("smtpUser"),
    smtpPassword: mergeSecret(String(form.get("smtpPassword") ?? ""), access.settings.smtpPassword),
    mailFrom: form.get("mailFrom"),
    notifyEmails: lines(form.get("notifyEmails")),
    scheduleDaily: form.get("scheduleDaily"),
    scheduleWeekly: form.get("scheduleWeekly"),
    scheduleTimezone: form.get("scheduleTimezone"),
  });
  if (!input.success) {
    return { ok: false, status: 422, message: "Some settings are not valid; nothing was saved.", errors: z.flattenError(input.error).fieldErrors };
  }
  const changed = (Object.keys(input.data) as (keyof Settings)[]).filter(
    (key) => JSON.stringify(input.data[key]) !== JSON.stringify(access.settings[key]),
  );
  await saveSettings(input.data);
  // Names only: values can hold secrets such as the database password.
  await recordAudit(await actorFor(access.user), "settings.update", changed.join(",") || "(no change)");
  revalidatePath("/", "layout");
  return { ok: true, message: changed.length ? `Saved: ${changed.join(", ")}` : "Nothing changed" };
}

export type ChecksResult = { ok: boolean; status?: number; message: string; checks?: CheckResult[] } | null;

/** Checks the saved settings: binaries and their versions, the database, the backup directory, disk space. */
export async function runChecksAction(_prev: ChecksResult, _form: FormData): Promise<ChecksResult> {
  const access = await checkAdminAccess();
  if (!access.ok) return access;
  const checks = await runChecks(access.settings);
  const failed = checks.filter((c) => !c.ok).length;
  return { ok: failed === 0, message: failed ? `${failed} check(s) failed` : "Everything needed for a backup is in place", checks };
}

export type TestMailResult = { ok: boolean; status?: number; message: string } | null;

/** Sends a test mail to the admin who asks, through the saved settings, and reports the SMTP answer. */
export async function sendTestMailAction(_prev: TestMailResult, _form: FormData): Promise<TestMailResult> {
  const access = await checkAdminAccess();
  if (!access.ok) return access;
  try {
    const where = await sendMail(access.settings, [access.user.email], {
      subject: "Safekeep test mail",
      text: "This is a test mail from Safekeep. Mail works.",
      html: "<p>This is a test mail from Safekeep. Mail works.</p>",
    });
    return { ok: true, message: `Sent to ${access.user.email} via ${where}` };
  } catch (error) {
    return { ok: false, status: 502, message: `The mail could not be sent: ${(error as Error).message}` };
  }
}

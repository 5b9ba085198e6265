import { recordAudit } from "@/lib/audit";
import { runChecks } from "@/lib/backup/jobs/checks";
import type { Caller } from "@/lib/backup/requests/caller";
import { mailConfigured, outboxDir, sendMail } from "@/lib/mail/send";
import { nextRuns } from "@/lib/schedule/plan";
import { saveSettings, type SettingKey, type Settings } from "@/lib/settings";
import { forgetSetting } from "@/lib/settings-origin";

/** Saves what the admin submitted and audits which fields changed (names only: values can hold secrets). */
export async function updateSettings(next: Settings, { actor, settings }: Caller): Promise<string[]> {
  const changed = (Object.keys(next) as (keyof Settings)[]).filter((key) => JSON.stringify(next[key]) !== JSON.stringify(settings[key]));
  await saveSettings(next);
  await recordAudit(actor, "settings.update", changed.join(",") || "(no change)");
  return changed;
}

/** Would a backup made now work, and if not, why: programs, database, backup directory, disk. */
export function runSetupChecks(settings: Settings) {
  return runChecks(settings);
}

/** Sends a test mail through the saved settings; returns where it went, or throws the SMTP error. */
export function sendTestMail(settings: Settings, to: string): Promise<string> {
  return sendMail(settings, [to], {
    subject: "Safekeep test mail",
    text: "This is a test mail from Safekeep. Mail works.",
    html: "<p>This is a test mail from Safekeep. Mail works.</p>",
  });
}

/** For the settings page: the next runs of each schedule and whether mail goes anywhere. */
export function settingsOverview(settings: Settings, now = new Date()) {
  return {
    nextDaily: nextRuns(settings.scheduleDaily, settings.scheduleTimezone, now).map((d) => d.toISOString()),
    nextWeekly: nextRuns(settings.scheduleWeekly, settings.scheduleTimezone, now).map((d) => d.toISOString()),
    mailNote: mailConfigured(settings) ? null : `Mail is not configured: notification mails are written to ${outboxDir()}`,
  };
}

/** "Reset to default": forgets the saved value, so the setting follows the environment or the default again. */
export async function resetSettingToDefault(key: SettingKey, { actor }: Caller): Promise<boolean> {
  const forgotten = await forgetSetting(key);
  await recordAudit(actor, "settings.reset", key);
  return forgotten;
}

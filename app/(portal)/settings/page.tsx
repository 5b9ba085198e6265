import type { Metadata } from "next";
import { requireAdminPage } from "@/lib/auth/guards";
import { maskSecret, redactDatabaseUrl } from "@/lib/settings";
import { nextRuns } from "@/lib/schedule/plan";
import { mailConfigured, outboxDir } from "@/lib/mail/send";
import { SettingsForm } from "./settings-form";
import { ChecksPanel } from "./checks-panel";
import { TestMailPanel } from "./test-mail-panel";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  const { settings } = await requireAdminPage("/settings");
  return (
    <section className="max-w-2xl">
      <h1 className="text-2xl font-semibold">Settings</h1>
      <p className="mt-1 text-sm text-slate-600">Environment variables give the defaults; what you save here overrides them.</p>
      <SettingsForm
        settings={{ ...settings, databaseUrl: redactDatabaseUrl(settings.databaseUrl), smtpPassword: maskSecret(settings.smtpPassword) }}
        nextDaily={nextRuns(settings.scheduleDaily, settings.scheduleTimezone, new Date()).map((d) => d.toISOString())}
        nextWeekly={nextRuns(settings.scheduleWeekly, settings.scheduleTimezone, new Date()).map((d) => d.toISOString())}
        mailNote={mailConfigured(settings) ? null : `Mail is not configured: notification mails are written to ${outboxDir()}`}
      />
      <TestMailPanel />
      <ChecksPanel />
    </section>
  );
}

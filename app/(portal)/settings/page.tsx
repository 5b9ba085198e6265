import type { Metadata } from "next";
import { requireAdminPage } from "@/lib/auth/guards";
import { maskSecret, redactDatabaseUrl } from "@/lib/settings";
import { settingsOverview } from "@/lib/backup";
import { SettingsForm } from "./settings-form";
import { ChecksPanel } from "./checks-panel";
import { TestMailPanel } from "./test-mail-panel";
import { OffsitePanel } from "./offsite-panel";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  const { settings } = await requireAdminPage("/settings");
  const { nextDaily, nextWeekly, mailNote } = settingsOverview(settings);
  return (
    <section className="max-w-2xl">
      <h1 className="text-2xl font-semibold">Settings</h1>
      <p className="mt-1 text-sm text-slate-600">Environment variables give the defaults; what you save here overrides them.</p>
      <SettingsForm
        settings={{ ...settings, databaseUrl: redactDatabaseUrl(settings.databaseUrl), smtpPassword: maskSecret(settings.smtpPassword) }}
        nextDaily={nextDaily}
        nextWeekly={nextWeekly}
        mailNote={mailNote}
      />
      <TestMailPanel />
      <ChecksPanel />
      <OffsitePanel />
    </section>
  );
}

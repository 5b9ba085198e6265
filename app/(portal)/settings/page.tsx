import type { Metadata } from "next";
import { requireAdminPage } from "@/lib/auth/guards";
import {
  encryptionView,
  EVENT_LABELS,
  KIND_LABELS,
  listWebhooks,
  mailLinkBase,
  settingSources,
  settingsOverview,
  WEBHOOK_EVENTS,
  WEBHOOK_KINDS,
} from "@/lib/backup";
import { SettingsForm } from "./settings-form";
import { formValuesFromSettings } from "./form-values";
import { ChecksPanel } from "./checks-panel";
import { TestMailPanel } from "./test-mail-panel";
import { WebhooksPanel } from "./webhooks-panel";
import { OffsitePanel } from "./offsite-panel";
import { EncryptionPanel } from "./encryption-panel";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  const { settings } = await requireAdminPage("/settings");
  const { nextDaily, nextWeekly, mailNote } = settingsOverview(settings);
  const [mailLinks, sources] = await Promise.all([mailLinkBase(), settingSources()]);
  return (
    <section className="max-w-2xl">
      <h1 className="text-2xl font-semibold">Settings</h1>
      <p className="mt-1 text-sm text-slate-600">
        Environment variables give the defaults; only what you change here is saved, and each field says where its value comes from.
      </p>
      <SettingsForm
        values={formValuesFromSettings(settings)}
        nextDaily={nextDaily}
        nextWeekly={nextWeekly}
        mailNote={mailNote}
        mailLinks={mailLinks}
        sources={sources}
      />
      <EncryptionPanel view={await encryptionView(settings)} />
      <TestMailPanel />
      <WebhooksPanel
        webhooks={await listWebhooks()}
        kinds={WEBHOOK_KINDS.map((value) => ({ value, label: KIND_LABELS[value] }))}
        events={WEBHOOK_EVENTS.map((value) => ({ value, label: EVENT_LABELS[value] }))}
      />
      <ChecksPanel />
      <OffsitePanel />
    </section>
  );
}

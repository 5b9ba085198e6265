import type { Backup } from "@/lib/db";
import { appUrl } from "@/lib/config";
import type { StepRecord } from "@/lib/backup/jobs/steps/types";
import { deliver, type Delivery, type DeliveryOptions } from "@/lib/notify/deliver";
import { bodyFor, eventFor, jobEvents, jobMessage, testMessage, type WebhookMessage } from "@/lib/notify/webhook-messages";
import { findWebhook, loadWebhooks, webhookLabel, type Webhook } from "@/lib/notify/webhooks";
import type { Settings } from "@/lib/settings";

export interface WebhookOutcome {
  id: string;
  label: string;
  delivery: Delivery;
}

/** What no message may carry: the portal's passwords and every webhook's secret and URL token. */
export function webhookSecrets(settings: Settings, hooks: Webhook[]): string[] {
  const secrets = [settings.smtpPassword];
  try {
    secrets.push(decodeURIComponent(new URL(settings.databaseUrl).password));
  } catch {
    // Not a URL with a password: nothing to add.
  }
  for (const hook of hooks) secrets.push(hook.secret, hook.url);
  return secrets.filter(Boolean);
}

export async function sendToWebhooks(pairs: { hook: Webhook; message: WebhookMessage }[], options?: DeliveryOptions): Promise<WebhookOutcome[]> {
  // Side by side: one slow receiver does not hold up the others.
  return Promise.all(
    pairs.map(async ({ hook, message }) => ({
      id: hook.id,
      label: webhookLabel(hook),
      delivery: await deliver(hook, bodyFor(hook, message), message.event, options),
    })),
  );
}

/** The webhooks that want a job's events, each with its message. */
export async function jobDeliveries(job: Backup, steps: StepRecord[], settings: Settings) {
  const hooks = await loadWebhooks();
  const events = jobEvents(job, steps);
  const secrets = webhookSecrets(settings, hooks);
  return hooks.flatMap((hook) => {
    const event = eventFor(hook, events);
    return event ? [{ hook, message: jobMessage(job, steps, event, appUrl(), secrets) }] : [];
  });
}

/** One sentence for the job's page and log: who got it, who did not and why. Throws when any failed. */
export function describeOutcomes(outcomes: WebhookOutcome[]): { ok: boolean; sentence: string } {
  const sent = outcomes.filter((o) => o.delivery.ok);
  const failed = outcomes.filter((o) => !o.delivery.ok);
  const parts: string[] = [];
  if (sent.length) parts.push(`Sent to ${sent.map((o) => `${o.label} (HTTP ${o.delivery.status})`).join(", ")}`);
  if (failed.length) parts.push(`Not delivered to ${failed.map((o) => `${o.label}: ${o.delivery.detail}`).join("; ")}`);
  return { ok: failed.length === 0, sentence: parts.join(". ") };
}

/** For "Send a test": the receiver's answer, in one sentence. */
export async function sendTestToWebhook(id: string, options?: DeliveryOptions): Promise<{ ok: boolean; sentence: string }> {
  const hook = await findWebhook(id);
  if (!hook) return { ok: false, sentence: "That webhook no longer exists: reload the page" };
  const [outcome] = await sendToWebhooks([{ hook, message: testMessage(appUrl()) }], options);
  const { delivery, label } = outcome!;
  return delivery.ok
    ? { ok: true, sentence: `${label} received the test: it ${delivery.detail}` }
    : { ok: false, sentence: `${label} did not accept the test: ${delivery.status ? `it ${delivery.detail}` : delivery.detail}` };
}

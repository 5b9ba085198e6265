import { recordAudit } from "@/lib/audit";
import type { Caller } from "@/lib/backup/requests/caller";
import { SafekeepError } from "@/lib/errors";
import { sendTestToWebhook } from "@/lib/notify/send-webhooks";
import { findWebhook, listWebhookViews, removeWebhook, saveWebhook, viewOf, webhookLabel, type WebhookInput, type WebhookView } from "@/lib/notify/webhooks";

/** For the settings page: what each webhook is, never its secret or the token in its URL. */
export function listWebhooks(): Promise<WebhookView[]> {
  return listWebhookViews();
}

/** Adds or changes a webhook; audited by its label (the URL can carry a token). */
export async function storeWebhook(input: WebhookInput, { actor }: Caller): Promise<WebhookView> {
  let hook;
  try {
    hook = await saveWebhook(input);
  } catch (error) {
    throw new SafekeepError("invalid", (error as Error).message);
  }
  await recordAudit(actor, input.id ? "webhook.update" : "webhook.create", webhookLabel(hook), { kind: hook.kind, events: hook.events });
  return viewOf(hook);
}

export async function deleteWebhook(id: string, { actor }: Caller): Promise<string> {
  const hook = await findWebhook(id);
  if (!hook || !(await removeWebhook(id))) throw new SafekeepError("not_found", "That webhook no longer exists: reload the page");
  await recordAudit(actor, "webhook.delete", webhookLabel(hook));
  return webhookLabel(hook);
}

/** Sends a test message and returns the receiver's answer in one sentence; `ok` says whether it took it. */
export async function testWebhook(id: string, { actor }: Caller): Promise<{ ok: boolean; sentence: string }> {
  const result = await sendTestToWebhook(id);
  await recordAudit(actor, "webhook.test", id, { ok: result.ok });
  return result;
}

"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { adminAction, type ActionState } from "@/lib/auth/action";
import { deleteWebhook, EVENT_LABELS, storeWebhook, testWebhook, webhookInputSchema, WEBHOOK_EVENTS } from "@/lib/backup";

export type WebhookResult = (ActionState & { savedId?: string }) | null;

const optionalText = z.string().max(3000, "Too long").optional();
const hookId = z.string().regex(/^[a-f0-9]{16}$/, "No such webhook");

/** The form as posted: one checkbox per event (`event_<name>`), since a form's repeated names do not survive. */
const webhookForm = z.object({
  id: optionalText,
  name: optionalText,
  kind: optionalText,
  url: optionalText,
  secret: optionalText,
  ...Object.fromEntries(WEBHOOK_EVENTS.map((e) => [`event_${e}`, z.string().optional()])),
});

export const saveWebhookAction = adminAction(webhookForm, async (form, caller): Promise<NonNullable<WebhookResult>> => {
  const fields = form as Record<string, string | undefined>;
  const input = webhookInputSchema.safeParse({
    id: fields.id || undefined,
    name: fields.name ?? "",
    kind: fields.kind,
    url: fields.url ?? "",
    secret: fields.secret ?? "",
    events: WEBHOOK_EVENTS.filter((e) => fields[`event_${e}`] === "on"),
  });
  if (!input.success) {
    const errors = z.flattenError(input.error).fieldErrors as Record<string, string[] | undefined>;
    return { ok: false, status: 422, message: "This webhook is not saved: " + Object.values(errors).flat()[0], errors };
  }
  const saved = await storeWebhook(input.data, caller);
  revalidatePath("/settings");
  return {
    ok: true,
    message: `${input.data.id ? "Saved" : "Added"} the webhook ${saved.label}, for: ${saved.events.map((e) => EVENT_LABELS[e]).join(", ")}`,
    savedId: saved.id,
  };
});

export const deleteWebhookAction = adminAction(z.object({ id: hookId }), async ({ id }, caller): Promise<ActionState> => {
  const label = await deleteWebhook(id, caller);
  revalidatePath("/settings");
  return { ok: true, message: `Deleted the webhook ${label}` };
});

export type TestWebhookResult = ActionState | null;

/** Sends a test message to the saved webhook and says what the receiver answered. */
export const testWebhookAction = adminAction(z.object({ id: hookId }), async ({ id }, caller): Promise<ActionState> => {
  const { ok, sentence } = await testWebhook(id, caller);
  return { ok, status: ok ? 200 : 502, message: sentence };
});

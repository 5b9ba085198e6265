"use client";

import { useActionState, useState } from "react";
import type { WebhookEvent, WebhookKind, WebhookView } from "@/lib/backup";
import { deleteWebhookAction, saveWebhookAction, testWebhookAction, type TestWebhookResult, type WebhookResult } from "./webhook-actions";

const input = "mt-1 block w-full rounded border border-slate-300 px-3 py-2 font-mono text-sm";
const button = "rounded border border-slate-300 px-3 py-1.5 hover:bg-slate-100 disabled:opacity-60";

export interface Choice<T> {
  value: T;
  label: string;
}

function Message({ result }: { result: { ok: boolean; message: string } | null }) {
  if (!result) return null;
  return (
    <p role={result.ok ? "status" : "alert"} className={`w-full text-sm ${result.ok ? "text-green-800" : "text-red-700"}`}>
      {result.message}
    </p>
  );
}

/**
 * One webhook's form (or the "add" form when `hook` is absent). The fields are controlled, so a refused
 * save keeps what was typed. The secret and the URL's token never come to the page: empty keeps them.
 */
function WebhookForm({ hook, kinds, events }: { hook?: WebhookView; kinds: Choice<WebhookKind>[]; events: Choice<WebhookEvent>[] }) {
  const prefix = hook ? `webhook-${hook.id}` : "webhook-new";
  const [name, setName] = useState(hook?.name ?? "");
  const [kind, setKind] = useState<WebhookKind>(hook?.kind ?? "generic");
  const [url, setUrl] = useState("");
  const [secret, setSecret] = useState("");
  const [wanted, setWanted] = useState<WebhookEvent[]>(hook?.events ?? ["completed_with_warnings", "failed", "offsite_failed", "stale"]);
  const [result, formAction, pending] = useActionState<WebhookResult, FormData>(async (previous, form) => {
    const answer = await saveWebhookAction(previous, form);
    if (answer?.ok) {
      setSecret("");
      setUrl("");
      if (!hook) setName("");
    }
    return answer;
  }, null);
  const errors = result?.ok ? {} : (result?.errors ?? {});
  const fieldError = (key: string) =>
    errors[key]?.map((e) => (
      <p key={e} className="mt-1 text-sm text-red-700">
        {e}
      </p>
    ));
  return (
    <form action={formAction} className="space-y-3" aria-label={hook ? `Webhook ${hook.label}` : "Add a webhook"}>
      {hook && <input type="hidden" name="id" value={hook.id} />}
      <div className="grid gap-3 sm:grid-cols-2">
        <div>
          <label htmlFor={`${prefix}-name`} className="block text-sm font-medium">
            Name (optional)
          </label>
          <input id={`${prefix}-name`} name="name" value={name} onChange={(e) => setName(e.target.value)} className={input} maxLength={60} />
          {fieldError("name")}
        </div>
        <div>
          <label htmlFor={`${prefix}-kind`} className="block text-sm font-medium">
            Kind
          </label>
          <select id={`${prefix}-kind`} name="kind" value={kind} onChange={(e) => setKind(e.target.value as WebhookKind)} className={input}>
            {kinds.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
          {fieldError("kind")}
        </div>
      </div>
      <div>
        <label htmlFor={`${prefix}-url`} className="block text-sm font-medium">
          URL
        </label>
        <input
          id={`${prefix}-url`}
          name="url"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          className={input}
          autoComplete="off"
          placeholder={hook ? "stored; leave empty to keep it" : "https://…"}
          inputMode="url"
        />
        {hook && <p className="mt-1 text-xs text-slate-500">Sends to {hook.urlShown}: the rest of the URL is kept sealed, like a password.</p>}
        {fieldError("url")}
      </div>
      {kind === "generic" && (
        <div>
          <label htmlFor={`${prefix}-secret`} className="block text-sm font-medium">
            Signing secret
          </label>
          <input
            id={`${prefix}-secret`}
            name="secret"
            type="password"
            value={secret}
            onChange={(e) => setSecret(e.target.value)}
            className={input}
            autoComplete="new-password"
            placeholder={hook?.hasSecret ? "stored; leave empty to keep it" : "at least 16 characters"}
          />
          <p className="mt-1 text-xs text-slate-500">Each message is signed with it (HMAC-SHA256, see the README); it is never shown again.</p>
          {fieldError("secret")}
        </div>
      )}
      <fieldset>
        <legend className="text-sm font-medium">Send when</legend>
        <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
          {events.map((e) => (
            <label key={e.value} className="flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                name={`event_${e.value}`}
                checked={wanted.includes(e.value)}
                onChange={(ev) => setWanted(ev.target.checked ? [...wanted, e.value] : wanted.filter((w) => w !== e.value))}
              />
              {e.label}
            </label>
          ))}
        </div>
        {fieldError("events")}
      </fieldset>
      <div className="flex flex-wrap items-center gap-3">
        <button type="submit" disabled={pending} className={button}>
          {pending ? "Saving…" : hook ? "Save webhook" : "Add webhook"}
        </button>
        <Message result={result} />
      </div>
    </form>
  );
}

function HookActions({ hook }: { hook: WebhookView }) {
  const [tested, testAction, testing] = useActionState<TestWebhookResult, FormData>(testWebhookAction, null);
  const [deleted, deleteAction, deleting] = useActionState<TestWebhookResult, FormData>(deleteWebhookAction, null);
  return (
    <div className="mt-3 flex flex-wrap items-center gap-3">
      <form action={testAction}>
        <input type="hidden" name="id" value={hook.id} />
        <button type="submit" disabled={testing} className={button} aria-label={`Send a test to ${hook.label}`}>
          {testing ? "Sending…" : "Send a test"}
        </button>
      </form>
      <form
        action={deleteAction}
        onSubmit={(e) => {
          if (!confirm(`Delete the webhook ${hook.label}?`)) e.preventDefault();
        }}
      >
        <input type="hidden" name="id" value={hook.id} />
        <button type="submit" disabled={deleting} className={`${button} text-red-700`} aria-label={`Delete ${hook.label}`}>
          Delete
        </button>
      </form>
      <Message result={tested} />
      <Message result={deleted && !deleted.ok ? deleted : null} />
    </div>
  );
}

export function WebhooksPanel({ webhooks, kinds, events }: { webhooks: WebhookView[]; kinds: Choice<WebhookKind>[]; events: Choice<WebhookEvent>[] }) {
  return (
    <section className="mt-6 rounded-lg border border-slate-200 bg-white p-5" aria-labelledby="webhooks-heading">
      <h2 id="webhooks-heading" className="text-lg font-semibold">
        Webhooks
      </h2>
      <p className="mt-1 text-sm text-slate-600">
        Besides the mail: a signed JSON POST to your own endpoint, or a line in a Slack or Discord channel through its incoming-webhook URL. Test messages go to
        the saved webhook.
      </p>
      <ul className="mt-4 space-y-4" data-testid="webhooks">
        {webhooks.map((hook) => (
          <li key={hook.id} className="rounded border border-slate-200 p-4" data-testid="webhook">
            <p className="mb-2 text-sm">
              <strong>{hook.label}</strong> · {kinds.find((k) => k.value === hook.kind)?.label} · {hook.urlShown}
            </p>
            <WebhookForm hook={hook} kinds={kinds} events={events} />
            <HookActions hook={hook} />
          </li>
        ))}
      </ul>
      {webhooks.length === 0 && <p className="mt-3 text-sm text-slate-600">No webhook yet.</p>}
      <details className="mt-4" open={webhooks.length === 0}>
        <summary className="cursor-pointer text-sm font-medium">Add a webhook</summary>
        <div className="mt-3">
          <WebhookForm key={webhooks.length} kinds={kinds} events={events} />
        </div>
      </details>
    </section>
  );
}

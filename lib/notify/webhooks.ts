import { randomBytes } from "node:crypto";
import { z } from "zod";
import { prisma } from "@/lib/db";
import { openSecret, sealSecret } from "@/lib/secret-box";

/**
 * Webhook destinations, each in its own Setting row (`webhook.<id>`), apart from the settings object, so
 * adding or removing one never rewrites another. The signing secret is sealed; so is the URL, because
 * Slack's and Discord's incoming-webhook URLs carry their token in the path: whoever reads the URL can post.
 */
const ROW_PREFIX = "webhook.";

export const WEBHOOK_KINDS = ["generic", "slack", "discord"] as const;
export type WebhookKind = (typeof WEBHOOK_KINDS)[number];
export const KIND_LABELS: Record<WebhookKind, string> = { generic: "JSON", slack: "Slack", discord: "Discord" };

export const WEBHOOK_EVENTS = ["completed", "completed_with_warnings", "failed", "offsite_failed", "stale"] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
export const EVENT_LABELS: Record<WebhookEvent, string> = {
  completed: "a job completed",
  completed_with_warnings: "a job completed with warnings",
  failed: "a job failed",
  offsite_failed: "the offsite copy failed",
  stale: "the last backup is too old (stale)",
};

/** A webhook as the sender needs it: URL and secret in clear, in memory only. */
export interface Webhook {
  id: string;
  name: string;
  kind: WebhookKind;
  url: string;
  events: WebhookEvent[];
  secret: string;
}

/** A webhook as a page may see it: no secret, and the URL cut to where it goes. */
export interface WebhookView {
  id: string;
  name: string;
  label: string;
  kind: WebhookKind;
  urlShown: string;
  events: WebhookEvent[];
  hasSecret: boolean;
}

/** Why a URL cannot be used, in a sentence; null when it can. */
export function webhookUrlProblem(value: string): string | null {
  if (value === "") return "Enter the webhook's URL, like https://example.com/hooks/safekeep";
  if (value.length > 2000) return "The URL is too long (at most 2,000 characters)";
  if (/[\s\0]/.test(value)) return "The URL may not contain spaces or line breaks";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "Not a URL: write it in full, starting with https:// (like https://example.com/hooks/safekeep)";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    return `Only http:// and https:// URLs can receive webhooks (this one starts with ${url.protocol})`;
  if (!url.hostname) return "The URL has no host name";
  if (url.username || url.password) return "Put no user name or password in the URL: generic webhooks are signed with the signing secret instead";
  return null;
}

const stored = z.object({
  name: z.string().max(60).default(""),
  kind: z.enum(WEBHOOK_KINDS),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  secret: z.string().default(""),
});

/** What the admin submits: URL and secret may be left empty on an existing webhook to keep them. */
export const webhookInputSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-f0-9]{16}$/, "No such webhook")
      .optional(),
    name: z
      .string()
      .trim()
      .max(60, "At most 60 characters")
      .regex(/^[^\0\r\n<>]*$/, "A name on one line, without < or >"),
    kind: z.enum(WEBHOOK_KINDS, { message: "Choose JSON, Slack or Discord" }),
    url: z.string().trim().max(2000, "The URL is too long (at most 2,000 characters)"),
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1, "Choose at least one event"),
    secret: z.string().max(500, "At most 500 characters"),
  })
  .superRefine((w, ctx) => {
    if (!(w.id && w.url === "")) {
      const problem = webhookUrlProblem(w.url);
      if (problem) ctx.addIssue({ code: "custom", path: ["url"], message: problem });
    }
    if (w.secret !== "" && w.secret.trim().length < 16) {
      ctx.addIssue({ code: "custom", path: ["secret"], message: "Use a signing secret of at least 16 characters (a long random string)" });
    }
  });
export type WebhookInput = z.infer<typeof webhookInputSchema>;

/** Where a URL goes, for pages, logs and step outcomes: scheme, host and the first path segment, no token. */
export function shownUrl(value: string): string {
  try {
    const url = new URL(value);
    const [first, ...rest] = url.pathname.split("/").filter(Boolean);
    return `${url.protocol}//${url.host}${first ? `/${first}` : ""}${rest.length || url.search ? "/…" : ""}`;
  } catch {
    return "(not a URL)";
  }
}

export function webhookLabel(hook: Pick<Webhook, "name" | "kind" | "url">): string {
  if (hook.name) return hook.name;
  try {
    return `${KIND_LABELS[hook.kind]} ${new URL(hook.url).host}`;
  } catch {
    return KIND_LABELS[hook.kind];
  }
}

function open(id: string, value: string): Webhook | null {
  try {
    const row = stored.parse(JSON.parse(value));
    return { id, name: row.name, kind: row.kind, url: openSecret(row.url), events: row.events, secret: openSecret(row.secret) };
  } catch {
    // A row that no longer reads (or whose key changed) is skipped rather than breaking every job's steps.
    return null;
  }
}

export async function loadWebhooks(): Promise<Webhook[]> {
  const rows = await prisma.setting.findMany({ where: { key: { startsWith: ROW_PREFIX } }, orderBy: { key: "asc" } });
  return rows.map((r) => open(r.key.slice(ROW_PREFIX.length), r.value)).filter((w): w is Webhook => w !== null);
}

export async function webhooksFor(event: WebhookEvent): Promise<Webhook[]> {
  return (await loadWebhooks()).filter((w) => w.events.includes(event));
}

export function viewOf(hook: Webhook): WebhookView {
  return {
    id: hook.id,
    name: hook.name,
    label: webhookLabel(hook),
    kind: hook.kind,
    urlShown: shownUrl(hook.url),
    events: hook.events,
    hasSecret: hook.secret !== "",
  };
}

export async function listWebhookViews(): Promise<WebhookView[]> {
  return (await loadWebhooks()).map(viewOf);
}

export async function findWebhook(id: string): Promise<Webhook | null> {
  const row = await prisma.setting.findUnique({ where: { key: ROW_PREFIX + id } });
  return row ? open(id, row.value) : null;
}

/** Time first, so that the rows (read in key order) list the webhooks in the order they were added. */
function newId(): string {
  return Date.now().toString(16).padStart(11, "0") + randomBytes(3).toString("hex").slice(0, 5);
}

/**
 * Adds a webhook or changes one; an empty URL or secret on an existing one keeps what is stored. Returns
 * the stored webhook, or throws a sentence saying what is missing.
 */
export async function saveWebhook(input: WebhookInput): Promise<Webhook> {
  const before = input.id ? await findWebhook(input.id) : null;
  if (input.id && !before) throw new Error("That webhook no longer exists: reload the page");
  const hook: Webhook = {
    id: before?.id ?? newId(),
    name: input.name,
    kind: input.kind,
    url: input.url || before!.url,
    events: WEBHOOK_EVENTS.filter((e) => input.events.includes(e)),
    secret: input.secret === "" ? (before?.secret ?? "") : input.secret.trim(),
  };
  if (hook.kind === "generic" && hook.secret === "") {
    throw new Error("A JSON webhook needs a signing secret (at least 16 characters), so its receiver can tell the message is ours");
  }
  if (hook.kind !== "generic") hook.secret = "";
  const value = JSON.stringify({ name: hook.name, kind: hook.kind, url: sealSecret(hook.url), events: hook.events, secret: sealSecret(hook.secret) });
  await prisma.setting.upsert({ where: { key: ROW_PREFIX + hook.id }, create: { key: ROW_PREFIX + hook.id, value }, update: { value } });
  return hook;
}

export async function removeWebhook(id: string): Promise<boolean> {
  const { count } = await prisma.setting.deleteMany({ where: { key: ROW_PREFIX + id } });
  return count > 0;
}

import type { Backup } from "@/lib/db";
import type { StepRecord } from "@/lib/backup/jobs/steps/types";
import { statusLabel } from "@/lib/backup/jobs/status";
import { formatBytes, formatUtc } from "@/lib/format";
import { redactSecrets } from "@/lib/mail/compose";
import type { Webhook, WebhookEvent } from "@/lib/notify/webhooks";

/** What happened, as the generic webhook's JSON tells it; Slack and Discord get `summary` and `url` as one line. */
export interface WebhookMessage {
  event: WebhookEvent | "test";
  summary: string;
  url: string;
  timestamp: string;
  job: null | {
    id: number;
    kind: string;
    status: string;
    statusLabel: string;
    fileName: string;
    sizeBytes: number | null;
    sha256: string | null;
    error: string | null;
    warningCount: number;
    startedAt: string | null;
    finishedAt: string | null;
    steps: StepRecord[];
  };
  lastSuccessAt?: string | null;
}

/** The most telling first: a webhook that wants several of a job's events gets one message, about this one. */
const PRIORITY: WebhookEvent[] = ["offsite_failed", "failed", "completed_with_warnings", "completed", "stale"];

/** The events a finished job stands for; a cancelled job stands for none. */
export function jobEvents(job: Backup, steps: StepRecord[]): WebhookEvent[] {
  const events: WebhookEvent[] = [];
  if (job.status === "completed") events.push(job.warningCount > 0 ? "completed_with_warnings" : "completed");
  if (job.status === "failed") events.push("failed");
  // The offsite copy is a post-job step of its own (its name starts with "offsite"); it runs before this one.
  if (steps.some((s) => s.name.startsWith("offsite") && s.state === "failed")) events.push("offsite_failed");
  return events;
}

export function eventFor(hook: Webhook, events: WebhookEvent[]): WebhookEvent | null {
  return PRIORITY.find((e) => events.includes(e) && hook.events.includes(e)) ?? null;
}

const WHAT: Record<string, string> = { backup: "Backup", safety: "Safety backup", restore: "Restore", verify: "Verification", drill: "Restore drill" };

function oneLine(text: string, max = 300): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

export function jobMessage(job: Backup, steps: StepRecord[], event: WebhookEvent, appUrl: string, secrets: string[], now = new Date()): WebhookMessage {
  const clean = (s: string) => redactSecrets(s, secrets);
  const safeSteps = steps.map((s) => ({ name: s.name, state: s.state, detail: clean(s.detail) }));
  const what = WHAT[job.kind] ?? "Job";
  const size = job.sizeBytes !== null ? ` (${formatBytes(job.sizeBytes)})` : "";
  const offsite = safeSteps.find((s) => s.name.startsWith("offsite") && s.state === "failed");
  const summary =
    event === "failed"
      ? `${what} FAILED: ${job.fileName}${job.error ? ` — ${oneLine(clean(job.error))}` : ""}`
      : event === "offsite_failed"
        ? `${what} ${statusLabel(job)}, but its offsite copy failed: ${job.fileName}${offsite ? ` — ${oneLine(offsite.detail)}` : ""}`
        : event === "completed_with_warnings"
          ? `${what} completed with ${job.warningCount} warning(s): ${job.fileName}${size}`
          : `${what} completed: ${job.fileName}${size}`;
  return {
    event,
    summary,
    url: `${appUrl}/backups/${job.id}`,
    timestamp: now.toISOString(),
    job: {
      id: job.id,
      kind: job.kind,
      status: job.status,
      statusLabel: statusLabel(job),
      fileName: job.fileName,
      sizeBytes: job.sizeBytes,
      sha256: job.sha256,
      error: job.error === null ? null : clean(job.error),
      warningCount: job.warningCount,
      startedAt: job.startedAt?.toISOString() ?? null,
      finishedAt: job.finishedAt?.toISOString() ?? null,
      steps: safeSteps,
    },
  };
}

export function staleMessage(lastSuccessAt: string | null, appUrl: string, now = new Date()): WebhookMessage {
  return {
    event: "stale",
    summary: lastSuccessAt
      ? `The last successful backup is older than the schedule allows: it was made ${formatUtc(lastSuccessAt, "minute")}`
      : "No backup has completed yet, and the schedule expects one",
    url: `${appUrl}/backups`,
    timestamp: now.toISOString(),
    job: null,
    lastSuccessAt,
  };
}

export function testMessage(appUrl: string, now = new Date()): WebhookMessage {
  return { event: "test", summary: "A test message from Safekeep: this webhook works", url: `${appUrl}/settings`, timestamp: now.toISOString(), job: null };
}

/** Slack's own escaping: these three characters are its markup. */
const slackEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The body each kind of receiver understands. */
export function bodyFor(hook: Webhook, message: WebhookMessage): string {
  if (hook.kind === "slack") {
    return JSON.stringify({ text: `Safekeep: ${slackEscape(message.summary)} <${message.url}|Open in Safekeep>` });
  }
  if (hook.kind === "discord") {
    const content = `Safekeep: ${message.summary} ${message.url}`;
    // A file name or an error is not allowed to ping @everyone; Discord caps a message at 2,000 characters.
    return JSON.stringify({ content: content.length > 2000 ? `${content.slice(0, 1900)}… ${message.url}` : content, allowed_mentions: { parse: [] } });
  }
  return JSON.stringify(message);
}

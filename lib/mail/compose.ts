import type { JobReport } from "@/lib/backup/jobs/report";
import { statusLabel } from "@/lib/backup/jobs/status";
import { formatBytes, formatDuration } from "@/lib/format";

export interface Mail {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Whatever ends up in a mail, a password does not: in a URL (scheme://user:password@host), as a
 * `password=...` pair (libpq's keyword form), or any of the known secrets verbatim or URL-encoded.
 */
export function redactSecrets(text: string, secrets: string[] = []): string {
  let out = text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]*:)[^@\s/]+@/gi, "$1********@")
    .replace(/\b(password|passwd|pwd)(\s*=\s*)(?!\*{8})("[^"]*"|'[^']*'|[^\s,;&)]+)/gi, "$1$2********");
  // Longest first, so that a secret containing another is masked whole.
  for (const secret of [...new Set(secrets)].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length)) {
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join("********");
  }
  return out;
}

/** A composed mail with the given secrets masked in every part (the HTML holds them escaped too). */
export function withoutSecrets(mail: Mail, secrets: string[]): Mail {
  const all = [...secrets, ...secrets.map(escapeHtml)];
  return { subject: redactSecrets(mail.subject, all), text: redactSecrets(mail.text, all), html: redactSecrets(mail.html, all) };
}

/** The mail sent when a backup or a restore ends: what happened, and a link to it in the portal. */
export function composeJobMail({ job, logTail, steps }: JobReport, appUrl: string): Mail {
  const what = job.kind === "restore" ? "Restore" : job.kind === "safety" ? "Safety backup" : "Backup";
  const ok = job.status === "completed";
  const link = `${appUrl}/backups/${job.id}`;
  const duration = job.startedAt && job.finishedAt ? formatDuration(job.finishedAt.getTime() - job.startedAt.getTime()) : "—";
  const facts: [string, string][] = [
    ["Name", job.fileName],
    ...(job.kind === "restore" ? ([["Restored from", job.sourceFileName ?? "—"]] as [string, string][]) : []),
    ["Status", statusLabel(job)],
    ...(job.sizeBytes !== null ? ([["Size", formatBytes(job.sizeBytes)]] as [string, string][]) : []),
    ["Duration", duration],
    ...(job.sha256 ? ([["SHA-256", job.sha256]] as [string, string][]) : []),
    ...steps.map((s): [string, string] => [`After the job: ${s.name}`, s.state === "failed" ? `FAILED: ${s.detail}` : s.detail]),
  ];
  const subject = ok ? `${what} ${statusLabel(job)}: ${job.fileName}` : `${what} ${job.status.toUpperCase()}: ${job.fileName}`;
  const lastLines = ok ? "" : logTail.trim().split("\n").slice(-20).join("\n");
  const text = redactSecrets(
    [
      `${what} ${statusLabel(job)}.`,
      "",
      ...facts.map(([k, v]) => `${k}: ${v}`),
      ...(job.error ? ["", `Error: ${job.error}`] : []),
      ...(lastLines ? ["", "Last lines of the log:", lastLines] : []),
      "",
      `${ok && job.kind !== "restore" ? "Download it" : "See it"} in the portal (after signing in): ${link}`,
    ].join("\n"),
  );
  const html = redactSecrets(`<!doctype html><html><body style="font-family: system-ui, sans-serif; color: #0f172a">
<h1 style="font-size: 18px">${escapeHtml(what)} ${escapeHtml(statusLabel(job))}</h1>
<table style="border-collapse: collapse; font-size: 14px">${facts
    .map(
      ([k, v]) =>
        `<tr><th style="text-align: left; padding: 2px 12px 2px 0">${escapeHtml(k)}</th><td style="font-family: monospace">${escapeHtml(v)}</td></tr>`,
    )
    .join("")}</table>
${job.error ? `<p style="color: #991b1b"><strong>Error:</strong> ${escapeHtml(job.error)}</p>` : ""}
${lastLines ? `<p>Last lines of the log:</p><pre style="background: #0f172a; color: #f1f5f9; padding: 8px; font-size: 12px">${escapeHtml(lastLines)}</pre>` : ""}
<p><a href="${escapeHtml(link)}">${ok && job.kind !== "restore" ? "Download it" : "See it"} in the portal</a> (after signing in).</p>
</body></html>`);
  return { subject, text, html };
}

import type { Metadata } from "next";
import Link from "next/link";
import { backupForPage } from "./backup-for-page";
import { PinForm } from "./pin-form";
import { VerifyForm } from "./verify-form";
import { DownloadDecryptedForm } from "./download-decrypted-form";
import { OffsiteCopies } from "./offsite-copies";
import { isActive, readJobLog, type StepRecord, needsOwnerKey } from "@/lib/backup";
import { formatBytes, formatDuration } from "@/lib/format";
import { StatusBadge } from "@/app/ui/status-badge";
import { When } from "@/app/ui/when";
import { LiveProgress } from "@/app/ui/live-progress";
import { LiveLog } from "@/app/ui/live-log";

export const metadata: Metadata = { title: "Backup" };

const stepStyle: Record<StepRecord["state"], string> = { running: "text-blue-800", done: "text-green-800", failed: "text-red-800" };

/** What followed the job (retention, notification, …): a failed step shows here, the job keeps its outcome. */
function JobSteps({ steps }: { steps: StepRecord[] }) {
  return (
    <ul data-testid="job-steps" className="space-y-1">
      {steps.map((step) => (
        <li key={step.name} data-step={step.name} data-state={step.state}>
          <span className={`font-medium ${stepStyle[step.state]}`}>
            {step.name}: {step.state === "failed" ? "failed" : step.state === "running" ? "running" : "done"}
          </span>
          {step.detail && <span className="block break-words text-slate-700">{step.detail}</span>}
        </li>
      ))}
    </ul>
  );
}

export default async function BackupPage({ params }: { params: Promise<{ id: string }> }) {
  const { settings, backup, user } = await backupForPage(params);
  const log = await readJobLog(backup, settings);
  const duration = backup.startedAt && backup.finishedAt ? formatDuration(Date.parse(backup.finishedAt) - Date.parse(backup.startedAt)) : null;

  // Restore and verify jobs have a log, not an archive of their own.
  const isRestore = backup.kind === "restore" || backup.kind === "verify" || backup.kind === "drill";
  const rows: [string, React.ReactNode][] = [
    ["Status", isActive(backup.status) ? <LiveProgress initial={backup} /> : <StatusBadge status={backup.status} label={backup.statusLabel} />],
    ...(backup.kind === "verify" || backup.kind === "drill"
      ? ([
          [
            backup.kind === "drill" ? "Restore drill of" : "Verified",
            <code key="src" className="text-xs">
              {backup.sourceFileName}
            </code>,
          ],
        ] as [string, React.ReactNode][])
      : []),
    ...(backup.kind === "restore"
      ? ([
          [
            "Restored from",
            <code key="src" className="text-xs">
              {backup.sourceFileName}
            </code>,
          ],
          ["What", backup.restoreParts === "both" ? "database and files" : backup.restoreParts],
          ["Safety backup", backup.safetyFileName ?? "—"],
        ] as [string, React.ReactNode][])
      : []),
    ...(backup.kind === "safety" ? ([["Kind", "safety backup, made before a restore"]] as [string, React.ReactNode][]) : []),
    ...(backup.pinned ? ([["Pinned", "yes: retention never deletes it"]] as [string, React.ReactNode][]) : []),
    ["Size", isRestore ? "—" : backup.sizeBytes === null ? "—" : `${formatBytes(backup.sizeBytes)} (${backup.sizeBytes.toLocaleString("en")} bytes)`],
    ["Created", <When key="created" at={backup.createdAt} />],
    ["Requested by", backup.requestedBy ?? "command line"],
    ["Duration", duration ?? "—"],
    [
      "SHA-256",
      <code key="sha" className="break-all text-xs">
        {backup.sha256 ?? "—"}
      </code>,
    ],
    ...(backup.status === "completed" && !isRestore
      ? ([["Copies", <OffsiteCopies key="copies" backup={backup} settings={settings} />]] as [string, React.ReactNode][])
      : []),
    ...(backup.steps.length ? ([["After the job", <JobSteps key="steps" steps={backup.steps} />]] as [string, React.ReactNode][]) : []),
  ];

  return (
    <section className="space-y-4">
      <p>
        <Link href="/backups" className="text-sm text-blue-700 underline">
          ← Backups
        </Link>
      </p>
      <h1 className="break-all font-mono text-lg font-semibold">
        {backup.kind === "restore"
          ? `Restore ${backup.fileName}`
          : backup.kind === "verify"
            ? `Verify ${backup.fileName}`
            : backup.kind === "drill"
              ? `Restore drill ${backup.fileName}`
              : backup.fileName}
      </h1>
      {backup.error && (
        <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-800">
          {backup.error}
        </p>
      )}
      {backup.mailError && (
        <p className="rounded bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="mail-error">
          {backup.mailError}
        </p>
      )}
      <dl className="grid grid-cols-1 gap-x-6 gap-y-2 rounded-lg border border-slate-200 bg-white p-4 text-sm sm:grid-cols-[10rem_1fr]">
        {rows.map(([label, value]) => (
          <div key={label} className="contents">
            <dt className="font-medium text-slate-600">{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <div className="flex flex-wrap gap-3">
        {backup.status === "completed" && !isRestore && user.role === "admin" && (
          <Link href={`/backups/${backup.id}/restore`} className="rounded border border-amber-400 px-4 py-2 font-medium text-amber-800 hover:bg-amber-50">
            Restore…
          </Link>
        )}
        {backup.status === "completed" && !isRestore && (
          <a
            href={`/api/v1/backups/download/${encodeURIComponent(backup.fileName)}`}
            download
            className="rounded bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800"
          >
            Download{backup.fileName.endsWith(".age") ? " (encrypted)" : ""}
          </a>
        )}
        {backup.status === "completed" && !isRestore && backup.fileName.endsWith(".age") && (
          <DownloadDecryptedForm fileName={backup.fileName} askKey={needsOwnerKey(backup.fileName, settings)} />
        )}
        {(backup.status === "queued" || backup.status === "running") && (
          <Link href={`/backups/${backup.id}/cancel`} className="rounded border border-amber-400 px-4 py-2 font-medium text-amber-800 hover:bg-amber-50">
            Cancel…
          </Link>
        )}
        {backup.status === "completed" && !isRestore && <PinForm id={backup.id} pinned={backup.pinned} />}
        {(backup.status === "unverified" || backup.status === "completed") && (backup.kind === "backup" || backup.kind === "safety") && (
          <VerifyForm id={backup.id} prominent={backup.status === "unverified"} askKey={needsOwnerKey(backup.fileName, settings)} />
        )}
        {!isActive(backup.status) && (
          <Link href={`/backups/${backup.id}/delete`} className="rounded border border-red-300 px-4 py-2 font-medium text-red-700 hover:bg-red-50">
            Delete…
          </Link>
        )}
      </div>
      <div>
        <h2 className="text-lg font-semibold">Log</h2>
        <LiveLog id={backup.id} initial={log} active={isActive(backup.status)} />
      </div>
    </section>
  );
}

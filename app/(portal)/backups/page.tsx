import type { Metadata } from "next";
import Link from "next/link";
import { z } from "zod";
import { requireBackupPage } from "@/lib/auth/guards";
import { backupHealth, isActive, listJobs, type BackupView } from "@/lib/backup";
import { HealthBar } from "@/app/ui/health-bar";
import { formatBytes } from "@/lib/format";
import { StatusBadge } from "@/app/ui/status-badge";
import { DataTable, type Column } from "@/app/ui/data-table";
import { When } from "@/app/ui/when";
import { LiveProgress } from "@/app/ui/live-progress";
import { CreateBackupForm } from "./create-backup-form";
import { DrillForm } from "./drill-form";

export const metadata: Metadata = { title: "Backups" };

const querySchema = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).catch(1),
  deleted: z.string().max(200).optional().catch(undefined),
});

const columns: Column<BackupView>[] = [
  {
    header: "Name",
    className: "font-mono text-xs break-all",
    cell: (b) => (
      <span>
        <Link href={`/backups/${b.id}`} className="text-blue-700 hover:underline">
          {b.fileName}
        </Link>
        {b.pinned && (
          <span
            title="Pinned: retention keeps it"
            className="ml-2 inline-block whitespace-nowrap rounded bg-slate-200 px-1.5 py-0.5 font-sans text-[11px] [word-break:normal]"
          >
            pinned
          </span>
        )}
        {b.kind !== "backup" && (
          <span className="ml-2 inline-block whitespace-nowrap rounded bg-amber-100 px-1.5 py-0.5 font-sans text-[11px] text-amber-900 [word-break:normal]">
            {b.kind}
          </span>
        )}
      </span>
    ),
  },
  { header: "Size", className: "whitespace-nowrap", cell: (b) => (b.sizeBytes === null ? "—" : formatBytes(b.sizeBytes)) },
  { header: "Created", className: "whitespace-nowrap", cell: (b) => <When at={b.createdAt} /> },
  { header: "By", cell: (b) => b.requestedBy ?? (b.kind === "backup" ? "command line" : b.kind) },
  {
    header: "Status",
    cell: (b) => (
      <>
        {isActive(b.status) ? <LiveProgress initial={b} /> : <StatusBadge status={b.status} label={b.statusLabel} />}
        {b.offsite?.label && (
          <span data-testid="offsite-failed" className="ml-2 rounded bg-red-100 px-1.5 py-0.5 text-[11px] text-red-800">
            {b.offsite.label}
          </span>
        )}
        {b.offsite?.state === "stored" && (
          <span title={b.offsite.copies.map((c) => c.url).join(", ")} className="ml-2 rounded bg-green-100 px-1.5 py-0.5 text-[11px] text-green-800">
            offsite
          </span>
        )}
      </>
    ),
  },
  {
    header: "Download",
    cell: (b) =>
      b.status === "completed" && b.kind !== "restore" ? (
        <a
          href={`/api/v1/backups/download/${encodeURIComponent(b.fileName)}`}
          download
          aria-label={`Download backup ${b.id}`}
          className="rounded border border-blue-300 px-2 py-1 text-xs font-medium text-blue-800 hover:bg-blue-50"
        >
          Download
        </a>
      ) : (
        "—"
      ),
  },
];

export default async function BackupsPage({ searchParams }: { searchParams: Promise<Record<string, string>> }) {
  const { settings } = await requireBackupPage("/backups");
  const query = querySchema.parse(await searchParams);
  const [{ items, total, pages }, health] = await Promise.all([listJobs(query.page), backupHealth(settings)]);

  return (
    <section>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">Backups</h1>
        <div className="flex flex-wrap items-start gap-2">
          <DrillForm />
          <CreateBackupForm />
        </div>
      </div>
      <HealthBar health={health} />
      {query.deleted && (
        <p role="status" className="mt-3 rounded bg-green-50 px-3 py-2 text-sm text-green-800">
          Deleted {query.deleted}.
        </p>
      )}
      <div className="mt-4">
        <DataTable rows={items} rowKey={(b) => b.id} rowTestId="backup-row" columns={columns} empty="No backups yet. Press Create backup to make the first." />
      </div>
      {pages > 1 && (
        <nav aria-label="Pages" className="mt-3 flex items-center gap-3 text-sm">
          {query.page > 1 && (
            <Link href={`/backups?page=${query.page - 1}`} className="text-blue-700 underline">
              Newer
            </Link>
          )}
          <span className="text-slate-600">
            Page {query.page} of {pages} · {total} backups
          </span>
          {query.page < pages && (
            <Link href={`/backups?page=${query.page + 1}`} className="text-blue-700 underline">
              Older
            </Link>
          )}
        </nav>
      )}
    </section>
  );
}

import type { Metadata } from "next";
import Link from "next/link";
import { z } from "zod";
import { requireBackupPage } from "@/lib/auth/guards";
import { backupHealth, isActive, listJobs } from "@/lib/backup";
import { HealthBar } from "@/app/ui/health-bar";
import { formatBytes } from "@/lib/format";
import { StatusBadge } from "@/app/ui/status-badge";
import { LiveProgress } from "@/app/ui/live-progress";
import { CreateBackupForm } from "./create-backup-form";

export const metadata: Metadata = { title: "Backups" };

const querySchema = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).catch(1),
  deleted: z.string().max(200).optional().catch(undefined),
});

export default async function BackupsPage({ searchParams }: { searchParams: Promise<Record<string, string>> }) {
  const { settings } = await requireBackupPage("/backups");
  const query = querySchema.parse(await searchParams);
  const [{ items, total, pages }, health] = await Promise.all([listJobs(query.page), backupHealth(settings)]);

  return (
    <section>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">Backups</h1>
        <CreateBackupForm />
      </div>
      <HealthBar health={health} />
      {query.deleted && (
        <p role="status" className="mt-3 rounded bg-green-50 px-3 py-2 text-sm text-green-800">Deleted {query.deleted}.</p>
      )}
      <div className="mt-4 overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="w-full text-left text-sm">
          <thead className="border-b border-slate-200 bg-slate-50 text-slate-600">
            <tr>
              <th className="px-3 py-2 font-medium">Name</th>
              <th className="px-3 py-2 font-medium">Size</th>
              <th className="px-3 py-2 font-medium">Created</th>
              <th className="px-3 py-2 font-medium">By</th>
              <th className="px-3 py-2 font-medium">Status</th>
            </tr>
          </thead>
          <tbody>
            {items.length === 0 && (
              <tr><td colSpan={5} className="px-3 py-6 text-center text-slate-500">No backups yet. Press Create backup to make the first.</td></tr>
            )}
            {items.map((b) => (
              <tr key={b.id} data-testid="backup-row" className="border-b border-slate-100 last:border-0">
                <td className="px-3 py-2 font-mono text-xs"><Link href={`/backups/${b.id}`} className="text-blue-700 hover:underline">{b.fileName}</Link>
                  {b.pinned && <span title="Pinned: retention keeps it" className="ml-2 rounded bg-slate-200 px-1.5 py-0.5 font-sans text-[11px]">pinned</span>}
                  {b.kind !== "backup" && <span className="ml-2 rounded bg-amber-100 px-1.5 py-0.5 font-sans text-[11px] text-amber-900">{b.kind}</span>}</td>
                <td className="px-3 py-2 whitespace-nowrap">{b.sizeBytes === null ? "—" : formatBytes(b.sizeBytes)}</td>
                <td className="px-3 py-2 whitespace-nowrap"><time dateTime={b.createdAt}>{b.createdAt.replace("T", " ").slice(0, 19)} UTC</time></td>
                <td className="px-3 py-2">{b.requestedBy ?? (b.kind === "backup" ? "command line" : b.kind)}</td>
                <td className="px-3 py-2">
                  {isActive(b.status) ? <LiveProgress initial={b} /> : <StatusBadge status={b.status} />}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {pages > 1 && (
        <nav aria-label="Pages" className="mt-3 flex items-center gap-3 text-sm">
          {query.page > 1 && <Link href={`/backups?page=${query.page - 1}`} className="text-blue-700 underline">Newer</Link>}
          <span className="text-slate-600">Page {query.page} of {pages} · {total} backups</span>
          {query.page < pages && <Link href={`/backups?page=${query.page + 1}`} className="text-blue-700 underline">Older</Link>}
        </nav>
      )}
    </section>
  );
}

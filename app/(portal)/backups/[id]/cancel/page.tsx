import type { Metadata } from "next";
import Link from "next/link";
import { isActive } from "@/lib/backup";
import { CancelBackupForm } from "./cancel-backup-form";
import { backupForPage } from "../backup-for-page";

export const metadata: Metadata = { title: "Cancel backup" };

export default async function CancelBackupPage({ params }: { params: Promise<{ id: string }> }) {
  const { backup } = await backupForPage(params, "/cancel");
  return (
    <section className="max-w-xl space-y-4">
      <h1 className="text-2xl font-semibold">Cancel this backup?</h1>
      <p className="text-slate-700">
        <span className="font-mono text-sm">{backup.fileName}</span>, started by {backup.requestedBy ?? "the command line"}, is {backup.status}
        {backup.status === "running" ? ` (${backup.phase}, ${Math.floor(backup.percent)} %)` : ""}.
      </p>
      {isActive(backup.status) ? (
        <>
          <p className="text-slate-700">Its process is stopped and the partial archive removed; no backup is kept.</p>
          <CancelBackupForm id={backup.id} />
        </>
      ) : (
        <p role="status" className="rounded bg-slate-100 px-3 py-2 text-sm">
          This backup is no longer running: nothing to cancel.
        </p>
      )}
      <Link href={`/backups/${backup.id}`} className="inline-block text-sm text-blue-700 underline">
        Back to the backup
      </Link>
    </section>
  );
}

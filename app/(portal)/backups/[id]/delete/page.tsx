import type { Metadata } from "next";
import Link from "next/link";
import { formatBytes } from "@/lib/format";
import { When } from "@/app/ui/when";
import { DeleteBackupForm } from "./delete-backup-form";
import { backupForPage } from "../backup-for-page";

export const metadata: Metadata = { title: "Delete backup" };

export default async function DeleteBackupPage({ params }: { params: Promise<{ id: string }> }) {
  const { backup } = await backupForPage(params, "/delete");
  return (
    <section className="max-w-xl space-y-4">
      <h1 className="text-2xl font-semibold">Delete this backup?</h1>
      <p className="text-slate-700">
        <span className="font-mono text-sm">{backup.fileName}</span>
        {backup.sizeBytes !== null && <> ({formatBytes(backup.sizeBytes)})</>}, made <When at={backup.createdAt} /> by{" "}
        {backup.requestedBy ?? "the command line"}.
      </p>
      <p className="text-slate-700">The archive, its log and its record are removed. This cannot be undone.</p>
      <DeleteBackupForm id={backup.id} />
      <Link href={`/backups/${backup.id}`} className="inline-block text-sm text-blue-700 underline">
        Cancel
      </Link>
    </section>
  );
}

import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { needsOwnerKey, previewRestore } from "@/lib/backup";
import { formatBytes } from "@/lib/format";
import { When } from "@/app/ui/when";
import { RestoreForm } from "./restore-form";
import { backupForPage } from "../backup-for-page";

export const metadata: Metadata = { title: "Restore backup" };

export default async function RestorePage({ params }: { params: Promise<{ id: string }> }) {
  const { backup, settings, user } = await backupForPage(params, "/restore");
  if (backup.kind === "restore" || backup.status !== "completed") notFound();
  if (user.role !== "admin") {
    return (
      <section className="max-w-2xl space-y-3">
        <h1 className="text-2xl font-semibold">Restoring is for administrators</h1>
        <p role="alert" className="rounded bg-amber-50 px-3 py-2 text-amber-900">
          A restore can bring back data from a time when people had other rights, so only an administrator can start one. Ask an administrator to restore{" "}
          <span className="font-mono text-sm">{backup.fileName}</span>.
        </p>
        <Link href={`/backups/${backup.id}`} className="text-sm text-blue-700 underline">
          Back
        </Link>
      </section>
    );
  }

  const preview = await previewRestore(backup, settings);
  if (preview.ok === "remote") {
    return (
      <section className="max-w-2xl space-y-4">
        <h1 className="text-2xl font-semibold">Restore this backup from its offsite copy?</h1>
        <p className="text-slate-700">
          <span className="font-mono text-sm">{backup.fileName}</span>, made <When at={backup.createdAt} /> by {backup.requestedBy ?? "the command line"}.
        </p>
        <div className="rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm">
          <p data-testid="restore-remote">{preview.problem}.</p>
          <p className="mt-2">
            The restore replaces the configured database and the configured folders the backup holds, after a safety backup of the current state; if it fails,
            that state is put back.
          </p>
        </div>
        <RestoreForm id={backup.id} fileName={backup.fileName} hasDatabase hasFiles portalDatabase={false} askKey={needsOwnerKey(backup.fileName, settings)} />
        <Link href={`/backups/${backup.id}`} className="inline-block text-sm text-blue-700 underline">
          Cancel
        </Link>
      </section>
    );
  }
  if (preview.ok === "locked") {
    return (
      <section className="max-w-2xl space-y-4">
        <h1 className="text-2xl font-semibold">Restore this encrypted backup?</h1>
        <p className="text-slate-700">
          <span className="font-mono text-sm">{backup.fileName}</span>, made <When at={backup.createdAt} /> by {backup.requestedBy ?? "the command line"}.
        </p>
        <div className="rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm">
          <p>
            This backup is encrypted to a public key: the portal cannot see what it holds until you give the private key. The restore replaces the configured
            database and the configured folders it holds, after a safety backup of the current state; if it fails, that state is put back.
          </p>
        </div>
        <RestoreForm id={backup.id} fileName={backup.fileName} hasDatabase hasFiles portalDatabase={false} askKey />
        <Link href={`/backups/${backup.id}`} className="inline-block text-sm text-blue-700 underline">
          Cancel
        </Link>
      </section>
    );
  }
  if (!preview.ok) {
    return (
      <section className="max-w-2xl space-y-3">
        <h1 className="text-2xl font-semibold">This backup cannot be restored</h1>
        <p role="alert" className="rounded bg-red-50 px-3 py-2 text-red-800">
          {preview.problem}
        </p>
        <Link href={`/backups/${backup.id}`} className="text-sm text-blue-700 underline">
          Back
        </Link>
      </section>
    );
  }
  const { plan } = preview;

  return (
    <section className="max-w-2xl space-y-4">
      <h1 className="text-2xl font-semibold">Restore this backup?</h1>
      <p className="text-slate-700">
        <span className="font-mono text-sm">{backup.fileName}</span>, made <When at={backup.createdAt} /> by {backup.requestedBy ?? "the command line"}.
      </p>
      <div className="rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm">
        <h2 className="font-semibold">What will be replaced</h2>
        <ul className="mt-2 list-disc space-y-1 pl-5">
          {plan.database && (
            <li data-testid="replaces-database">
              The database <strong className="font-mono">{plan.database.description}</strong> ({plan.database.target.kind}) with the backup&apos;s{" "}
              {plan.database.fromKind} database {plan.database.fromName} ({formatBytes(plan.database.bytes)})
            </li>
          )}
          {plan.roots.map((root) => (
            <li key={root.label} data-testid="replaces-folder">
              The folder <strong className="font-mono">{root.target}</strong> with {root.files} files ({formatBytes(root.bytes)})
            </li>
          ))}
        </ul>
        <p className="mt-2">A safety backup of the current state is made first; if the restore fails, it is put back.</p>
        {plan.problems.map((p) => (
          <p key={p} role="alert" className="mt-2 text-red-800">
            {p}
          </p>
        ))}
      </div>
      <RestoreForm
        id={backup.id}
        fileName={backup.fileName}
        hasDatabase={Boolean(plan.database)}
        hasFiles={plan.roots.length > 0}
        portalDatabase={plan.database?.isPortal ?? false}
        askUnencrypted={!preview.encrypted && settings.encryption !== "off"}
      />
      <Link href={`/backups/${backup.id}`} className="inline-block text-sm text-blue-700 underline">
        Cancel
      </Link>
    </section>
  );
}

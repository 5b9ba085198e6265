import { backupCopies, type BackupView } from "@/lib/backup";
import type { Settings } from "@/lib/settings";
import { PushForm } from "./push-form";

const STATE_LABEL = { stored: "stored", uploading: "uploading…", failed: "offsite copy failed", deleted: "deleted" } as const;

/** The backup page's "Copies" row: the local archive and each offsite copy, with a retry when one failed. */
export async function OffsiteCopies({ backup, settings }: { backup: BackupView; settings: Settings }) {
  const { local, offsite } = await backupCopies(backup.fileName, settings);
  return (
    <div className="space-y-1" data-testid="copies">
      <p>Local: {local ? "on this server" : "not on this server (download and restore fetch it from the bucket)"}</p>
      {offsite.map((c) => (
        <p key={c.destinationId} className={c.state === "failed" ? "text-red-700" : undefined}>
          Offsite: <code className="text-xs">{c.url}</code> — {STATE_LABEL[c.state]}
          {c.error && <span className="block text-xs">{c.error}</span>}
        </p>
      ))}
      {offsite.length === 0 && <p className="text-slate-600">Offsite: none</p>}
      {backup.status === "completed" && local && <PushForm id={backup.id} />}
    </div>
  );
}

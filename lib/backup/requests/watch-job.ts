import { findBackupView, type BackupView } from "@/lib/backup/jobs/list";

type Listener = (view: BackupView | null) => void;

interface Watch {
  listeners: Set<Listener>;
  timer: NodeJS.Timeout;
  last: string;
}

const watches = new Map<number, Watch>();
/** The worker writes its progress once a second; reading it more often would show nothing new. */
const READ_EVERY_MS = 1000;

/**
 * Calls `listener` with the job whenever its record changes, and with null once it is gone. However many
 * pages follow one job, the portal reads its record once a second (not once per page per second).
 * Returns the function that stops listening.
 */
export function watchJob(id: number, listener: Listener): () => void {
  let watch = watches.get(id);
  if (!watch) {
    const created: Watch = { listeners: new Set(), last: "", timer: setInterval(() => void read(id, created), READ_EVERY_MS) };
    created.timer.unref();
    watches.set(id, created);
    watch = created;
  }
  watch.listeners.add(listener);
  return () => {
    const current = watches.get(id);
    if (!current) return;
    current.listeners.delete(listener);
    if (current.listeners.size === 0) {
      clearInterval(current.timer);
      watches.delete(id);
    }
  };
}

async function read(id: number, watch: Watch): Promise<void> {
  const view = await findBackupView(id).catch(() => undefined);
  if (view === undefined) return; // A failed read is tried again next second.
  const text = JSON.stringify(view);
  if (view !== null && text === watch.last) return;
  watch.last = text;
  for (const listener of [...watch.listeners]) listener(view);
}

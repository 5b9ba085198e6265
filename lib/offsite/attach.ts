import type { BackupView } from "@/lib/backup/jobs/list";
import { copiesOf, offsiteSummary, type CopyView } from "@/lib/offsite/copies";

/** What the list, the backup's page and the API show about a backup's offsite copies. */
export interface OffsiteInfo {
  state: "none" | "stored" | "uploading" | "failed";
  /** "offsite copy failed" beside the status when any destination's copy failed; null otherwise. */
  label: string | null;
  copies: CopyView[];
}

export async function withOffsite<T extends Pick<BackupView, "fileName">>(views: T[]): Promise<(T & { offsite: OffsiteInfo })[]> {
  const copies = await copiesOf(views.map((v) => v.fileName));
  return views.map((view) => {
    const mine = copies.get(view.fileName) ?? [];
    const state = offsiteSummary(mine);
    return { ...view, offsite: { state, label: state === "failed" ? "offsite copy failed" : null, copies: mine } };
  });
}

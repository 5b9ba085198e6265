import { listDestinations } from "@/lib/offsite/destinations";
import { pushBackup } from "@/lib/offsite/push";
import type { PostJobStep } from "@/lib/backup/jobs/steps/types";

/**
 * Copies a completed backup to each offsite destination. Before notify, so the mail says where the copy
 * is (or that it failed); after retention, so it never uploads an archive retention is about to delete.
 * A failure leaves the backup completed: the step and each copy record say "offsite copy failed".
 */
export const offsiteUploadStep: PostJobStep = {
  name: "offsite",
  appliesTo: async (job) => job.kind === "backup" && job.status === "completed" && (await listDestinations().catch(() => [1])).length > 0,
  async run(job, { settings, log, progress }) {
    const report = await pushBackup(job, settings, { progress, log: (line) => log.info(line) });
    const summary = report.lines.join("; ");
    if (report.failed) throw new Error(summary);
    return summary;
  },
};

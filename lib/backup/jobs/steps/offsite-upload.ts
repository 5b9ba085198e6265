import { listDestinations } from "@/lib/offsite/destinations";
import { pruneDestination } from "@/lib/offsite/prune";
import { pushBackup } from "@/lib/offsite/push";
import type { PostJobStep } from "@/lib/backup/jobs/steps/types";

/**
 * Copies a completed backup to each offsite destination, then applies that destination's own retention.
 * Before notify, so the mail says where the copy is (or that it failed); after local retention, so it
 * never uploads an archive about to be deleted. A failure leaves the backup completed: the step and each
 * copy record say "offsite copy failed". A destination whose copy failed is not pruned.
 */
export const offsiteUploadStep: PostJobStep = {
  name: "offsite",
  appliesTo: async (job) => job.kind === "backup" && job.status === "completed" && (await listDestinations().catch(() => [1])).length > 0,
  async run(job, { settings, log, progress }) {
    const destinations = await listDestinations();
    const report = await pushBackup(job, settings, { progress, log: (line) => log.info(line), destinations });
    const lines = [...report.lines];
    if (!report.failed) {
      for (const destination of destinations) {
        const pruned = await pruneDestination(destination, { dryRun: false }).catch((error: Error) => error);
        if (pruned instanceof Error) lines.push(`Retention in ${destination.name} failed: ${pruned.message}`);
        else if (pruned.length)
          lines.push(
            `Retention deleted ${pruned.length} old cop${pruned.length === 1 ? "y" : "ies"} in ${destination.name}: ${pruned.map((p) => p.fileName).join(", ")}`,
          );
      }
      lines.forEach((line, i) => i >= report.lines.length && log.info(line));
    }
    const summary = lines.join("; ");
    if (report.failed) throw new Error(summary);
    return summary;
  },
};

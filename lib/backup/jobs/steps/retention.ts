import { applyRetention } from "@/lib/backup/jobs/retention";
import type { PostJobStep } from "@/lib/backup/jobs/steps/types";

/** After each successful backup, however it was started: the oldest beyond the settings' count go. */
export const retentionStep: PostJobStep = {
  name: "retention",
  appliesTo: (job) => job.kind === "backup" && job.status === "completed",
  async run(_job, { settings }) {
    const deleted = await applyRetention(settings);
    return deleted.length ? `Deleted ${deleted.length} old backup(s): ${deleted.join(", ")}` : "Nothing to delete";
  },
};

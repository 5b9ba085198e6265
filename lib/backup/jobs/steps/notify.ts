import { prisma } from "@/lib/db";
import { jobReport } from "@/lib/backup/jobs/report";
import type { PostJobStep } from "@/lib/backup/jobs/steps/types";
import { notifyJobEnded } from "@/lib/mail/notify";

/** Last, so the mail can tell how the other steps went. Safety backups are told within their restore's mail. */
export const notifyStep: PostJobStep = {
  name: "notify",
  // A drill that passes is news only on the health line; one that fails is mailed like any failure.
  appliesTo: (job) => job.kind !== "safety" && !(job.kind === "drill" && job.status === "completed"),
  async run(job, { settings, earlier }) {
    const where = await notifyJobEnded(await jobReport(job, settings, earlier), settings);
    if (where) return `Mail sent (${where})`;
    // The mail's own failure is recorded on the job (mailError) by notifyJobEnded, secrets masked.
    const failure = (await prisma.backup.findUnique({ where: { id: job.id }, select: { mailError: true } }))?.mailError;
    if (failure) throw new Error(failure);
    return "Nobody to tell: no recipient and no admin";
  },
};

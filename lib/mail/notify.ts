import { prisma, type Backup } from "@/lib/db";
import { mailLinkBase } from "@/lib/site-url";
import type { JobReport } from "@/lib/backup/jobs/report";
import type { Settings } from "@/lib/settings";
import { composeJobMail, redactSecrets, withoutSecrets } from "@/lib/mail/compose";
import { sendMail } from "@/lib/mail/send";

/** Who hears about a job: whoever asked for it; for runs nobody asked for, the list in settings or every admin. */
export async function recipientsFor(job: Backup, settings: Settings): Promise<string[]> {
  if (job.requestedById) {
    const user = await prisma.user.findUnique({ where: { id: job.requestedById } });
    if (user) return [user.email];
  }
  if (settings.notifyEmails.length) return settings.notifyEmails;
  const admins = await prisma.user.findMany({ where: { role: { name: "admin" } }, select: { email: true } });
  return admins.map((a) => a.email);
}

/** The passwords in the settings, which no error message or log line may carry into a mail. */
function knownSecrets(settings: Settings): string[] {
  const secrets = [settings.smtpPassword];
  try {
    secrets.push(decodeURIComponent(new URL(settings.databaseUrl).password));
  } catch {
    // Not a URL with a password (empty, or file:): nothing to add.
  }
  return secrets.filter(Boolean);
}

/**
 * Mails the end of a job. Never throws: a mail that cannot be sent is recorded on the job and shown on
 * its page, and the job keeps its own outcome.
 */
export async function notifyJobEnded(report: JobReport, settings: Settings): Promise<string | null> {
  const { job } = report;
  try {
    const to = await recipientsFor(job, settings);
    if (to.length === 0) return null;
    const where = await sendMail(settings, to, withoutSecrets(composeJobMail(report, (await mailLinkBase()).url), knownSecrets(settings)));
    await prisma.backup.updateMany({ where: { id: job.id }, data: { mailError: null } });
    return where;
  } catch (error) {
    const message = redactSecrets(`The notification mail could not be sent: ${(error as Error).message}`, knownSecrets(settings));
    await prisma.backup.updateMany({ where: { id: job.id }, data: { mailError: message } }).catch(() => {});
    return null;
  }
}

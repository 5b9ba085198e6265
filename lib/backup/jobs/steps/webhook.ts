import { jobEvents } from "@/lib/notify/webhook-messages";
import { describeOutcomes, jobDeliveries, sendToWebhooks } from "@/lib/notify/send-webhooks";
import { loadWebhooks } from "@/lib/notify/webhooks";
import type { PostJobStep } from "@/lib/backup/jobs/steps/types";

/**
 * Tells the webhooks that want this job's event (JSON, Slack, Discord). After the offsite copy, so a failed
 * copy is an event of its own; before the mail, so the mail says which webhooks heard. Safety backups are
 * told within their restore's messages.
 */
export const webhookStep: PostJobStep = {
  name: "webhook",
  async appliesTo(job) {
    if (job.kind === "safety" || job.status === "cancelled") return false;
    // A check that passed (a verify, a restore drill) is no news for a channel; one that failed is.
    if ((job.kind === "verify" || job.kind === "drill") && job.status !== "failed") return false;
    // The steps before this one are not known yet: a webhook that wants "offsite copy failed" is asked about every job.
    const events = [...jobEvents(job, []), "offsite_failed"];
    try {
      return (await loadWebhooks()).some((hook) => hook.events.some((e) => events.includes(e)));
    } catch {
      // Unreadable webhooks: let the step run and say why on the job's page.
      return true;
    }
  },
  async run(job, { settings, earlier, progress }) {
    const deliveries = await jobDeliveries(job, earlier, settings);
    if (deliveries.length === 0) return "No webhook wants this event";
    await progress(`Sending to ${deliveries.length} webhook(s)…`);
    const { ok, sentence } = describeOutcomes(await sendToWebhooks(deliveries));
    if (!ok) throw new Error(sentence);
    return sentence;
  },
};

import { notifyStep } from "@/lib/backup/jobs/steps/notify";
import { offsiteUploadStep } from "@/lib/backup/jobs/steps/offsite-upload";
import { retentionStep } from "@/lib/backup/jobs/steps/retention";
import type { PostJobStep } from "@/lib/backup/jobs/steps/types";
import { webhookStep } from "@/lib/backup/jobs/steps/webhook";

/** What follows every job, in order. A new step is one file beside these and one line here. */
export const POST_JOB_STEPS: PostJobStep[] = [retentionStep, offsiteUploadStep, webhookStep, notifyStep];

/**
 * The engine's front door: everything the portal's pages, actions and routes may ask of it. `app/` imports
 * from here and nowhere deeper (the lint rule enforces it); the CLI and the worker use the modules below.
 *
 *   jobs/      the one-job slot, runJob and its post-job steps, progress, logs, retention, health
 *   archive/   walking the file roots and writing the zip (and reading it back)
 *   database/  one driver per database kind: URL, dumper, loader, checks
 *   restore/   checking an archive, staging it and swapping it in
 *   crypto/    age encryption at rest, and which keys a job reads archives with
 *   requests/  what a signed-in person can ask for, each audited
 */
export type { Caller } from "@/lib/backup/requests/caller";
export { listJobs, getJob, getJobByName, readJobLog, activeJob } from "@/lib/backup/requests/read-jobs";
export { startBackup } from "@/lib/backup/requests/start-backup";
export { requestRestore, restoreRequestSchema, previewRestore, type RestoreRequest, type RestorePreview } from "@/lib/backup/requests/request-restore";
export { cancelJob, deleteJob, setPinned } from "@/lib/backup/requests/manage-backup";
export {
  findDownload,
  findOffsiteCopy,
  verifiedRange,
  recordDownload,
  deleteAfterDownload,
  openDecryptedDownload,
  type RemoteCopy,
} from "@/lib/backup/requests/download";
export { updateSettings, resetSettingToDefault, runSetupChecks, sendTestMail, settingsOverview } from "@/lib/backup/requests/settings";
export { settingSources, SETTING_KEYS, SETTING_ENV, SETTING_LABELS, type SettingSource } from "@/lib/settings-origin";
export { backupHealth, type Health } from "@/lib/backup/jobs/health";
export { mailLinkBase, type MailLinkBase } from "@/lib/site-url";
export type { BackupView } from "@/lib/backup/jobs/list";
export type { CheckResult } from "@/lib/backup/jobs/checks";
export type { StepRecord } from "@/lib/backup/jobs/steps/types";
export { isActive, statusLabel, type JobKind, type JobStatus } from "@/lib/backup/jobs/status";
export { backupFileNameSchema } from "@/lib/backup/jobs/names";
export { parseJobRef, parseJobId, type JobRef } from "@/lib/backup/requests/job-ref";
export { requestVerify } from "@/lib/backup/requests/verify-backup";
export { watchJob } from "@/lib/backup/requests/watch-job";
export { requestDrill } from "@/lib/backup/requests/drill";
export {
  encryptionView,
  needsOwnerKey,
  generateEncryptionKey,
  addEncryptionRecipient,
  removeEncryptionRecipient,
  setEncryptionPassphrase,
  turnEncryptionOff,
  type EncryptionView,
} from "@/lib/backup/requests/encryption";
export { listWebhooks, storeWebhook, deleteWebhook, testWebhook } from "@/lib/backup/requests/webhooks";
export {
  webhookInputSchema,
  WEBHOOK_KINDS,
  WEBHOOK_EVENTS,
  EVENT_LABELS,
  KIND_LABELS,
  type WebhookView,
  type WebhookEvent,
  type WebhookKind,
} from "@/lib/notify/webhooks";
export {
  listDestinationViews,
  saveOffsiteDestination,
  removeOffsiteDestination,
  checkOffsiteDestination,
  backupCopies,
  pushOffsite,
  offsiteRetentionPreview,
  destinationFormSchema,
  type DestinationView,
  type DestinationCheck,
} from "@/lib/backup/requests/offsite";

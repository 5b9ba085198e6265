import fs from "node:fs/promises";
import { z } from "zod";
import { prisma } from "@/lib/db";
import { jobFiles } from "@/lib/backup/jobs/paths";
import { startDetached } from "@/lib/backup/jobs/spawn";
import { copiesOf } from "@/lib/offsite/copies";
import { previewPrune, type PruneItem } from "@/lib/offsite/prune";
import { planLocalRetention } from "@/lib/backup/jobs/retention";
import { resolvedBackupDir, type Settings } from "@/lib/settings";
import { recordAudit } from "@/lib/audit";
import type { Caller } from "@/lib/backup/requests/caller";
import { invalid, notFound } from "@/lib/errors";
import { checkDestination, type DestinationCheck } from "@/lib/offsite/check";
import {
  destinationSchema,
  ENV_DESTINATION_ID,
  getDestination,
  listDestinations,
  listDestinationViews,
  mergeDestinationSecret,
  removeDestination,
  saveDestination,
  type DestinationView,
} from "@/lib/offsite/destinations";

export type { DestinationCheck, DestinationView };
export { listDestinationViews };

const checkbox = z
  .string()
  .optional()
  .transform((v) => v === "on");
const text = z
  .string()
  .max(1000)
  .optional()
  .transform((v) => v ?? "");

/** The destination form as posted (every field a string); `destinationSchema` judges the values. */
export const destinationFormSchema = z.object({
  id: text,
  name: text,
  endpoint: text,
  region: text,
  bucket: text,
  prefix: text,
  accessKeyId: text,
  secretAccessKey: text,
  forcePathStyle: checkbox,
  remoteOnly: checkbox,
  keepLast: text,
  gfs: checkbox,
  sizeCapMb: text,
});
export type DestinationForm = z.infer<typeof destinationFormSchema>;

export type DestinationSaveResult = { ok: true; message: string } | { ok: false; message: string; errors: Record<string, string[] | undefined> };

/** Adds or changes a destination; the secret's mask keeps the stored one. Audited by id, never by value. */
export async function saveOffsiteDestination(form: DestinationForm, { actor }: Caller): Promise<DestinationSaveResult> {
  if (form.id === ENV_DESTINATION_ID) throw invalid("That destination is set by the environment: change it there");
  const stored = form.id ? await getDestination(form.id) : null;
  const parsed = destinationSchema.safeParse({
    ...form,
    keepLast: form.keepLast || "30",
    sizeCapMb: form.sizeCapMb || "0",
    secretAccessKey: mergeDestinationSecret(form.secretAccessKey, stored?.secretAccessKey),
  });
  if (!parsed.success) {
    return { ok: false, message: "The destination is not valid; nothing was saved.", errors: z.flattenError(parsed.error).fieldErrors };
  }
  await saveDestination(parsed.data);
  await recordAudit(actor, stored ? "offsite.destination.update" : "offsite.destination.create", parsed.data.id, {
    bucket: parsed.data.bucket,
    endpoint: parsed.data.endpoint,
  });
  return { ok: true, message: `Saved destination "${parsed.data.name}"` };
}

export async function removeOffsiteDestination(id: string, { actor }: Caller): Promise<void> {
  if (id === ENV_DESTINATION_ID) throw invalid("That destination is set by the environment: remove it there");
  if (!(await removeDestination(id))) throw notFound("No such destination");
  await recordAudit(actor, "offsite.destination.delete", id);
}

/** **Check** on a saved destination: list, write, read back, delete a probe; one sentence each. */
export async function checkOffsiteDestination(id: string, { actor }: Caller): Promise<DestinationCheck[]> {
  const destination = await getDestination(id);
  if (!destination) throw notFound("No such destination");
  const checks = await checkDestination(destination);
  await recordAudit(actor, "offsite.destination.check", id, { ok: checks.every((c) => c.ok) && checks.length === 4 });
  return checks;
}

/** Where a backup's copies live: the local archive (present or not) and each offsite copy with its state. */
export async function backupCopies(fileName: string, settings: Settings) {
  const local = await fs.access(jobFiles(resolvedBackupDir(settings), fileName).archive).then(
    () => true,
    () => false,
  );
  return { local, offsite: (await copiesOf([fileName])).get(fileName) ?? [] };
}

/**
 * **Copy offsite again** on a backup's page: `backup:push <id>` in a background process (an upload can
 * take longer than a request may), resuming what an earlier attempt stored.
 */
export async function pushOffsite(id: number, { actor, settings }: Caller): Promise<string> {
  const backup = await prisma.backup.findUnique({ where: { id } });
  if (!backup || backup.kind === "restore") throw notFound("No such backup");
  if (backup.status !== "completed") throw invalid("Only a completed backup can be copied offsite");
  if (!(await listDestinations()).length) throw invalid("There is no offsite destination: add one on Settings");
  await startDetached(settings.runtimeBinary, ["backup:push", String(id)]);
  await recordAudit(actor, "backup.push", backup.fileName);
  return `Copying ${backup.fileName} offsite in the background: reload to see how it went`;
}

/** The settings page's "what the policy would delete next": this server's backup directory, then each destination (names, dates, sizes, where). */
export async function offsiteRetentionPreview(settings: Settings): Promise<{ destination: string; items: PruneItem[]; error?: string }[]> {
  const local = await planLocalRetention(settings).then(
    (plan) => ({ destination: "this server", items: plan.map((p) => p.item) as PruneItem[] }),
    (error: Error) => ({ destination: "this server", items: [] as PruneItem[], error: error.message }),
  );
  return [local, ...(await previewPrune())];
}

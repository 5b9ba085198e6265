import { notFound } from "next/navigation";
import { z } from "zod";
import { requireBackupPage, type Granted } from "@/lib/auth/guards";
import { getJob, type BackupView } from "@/lib/backup";

const idSchema = z.coerce
  .number()
  .int()
  .positive()
  .max(2 ** 31);

/** For every `/backups/[id]/…` page: access first, then a valid id, then a backup that exists (else 404). */
export async function backupForPage(params: Promise<{ id: string }>, subPath = ""): Promise<Granted & { backup: BackupView }> {
  const { id: rawId } = await params;
  const granted = await requireBackupPage(`/backups/${encodeURIComponent(rawId)}${subPath}`);
  const id = idSchema.safeParse(rawId);
  if (!id.success) notFound();
  const backup = await getJob(id.data);
  if (!backup) notFound();
  return { ...granted, backup };
}

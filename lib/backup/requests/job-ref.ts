import { z } from "zod";
import { backupFileNameSchema } from "@/lib/backup/jobs/names";
import { SafekeepError } from "@/lib/errors";

/**
 * A job named in a URL: its id, or a backup's file name (never only digits, since it ends in .zip).
 * `/api/v1/backups/{ref}` takes either, for reading and for deleting alike.
 */
export type JobRef = { id: number } | { fileName: string };

const idSchema = z.coerce
  .number()
  .int()
  .positive()
  .max(2 ** 31);

export function parseJobRef(raw: string): JobRef {
  if (/^\d+$/.test(raw)) {
    const id = idSchema.safeParse(raw);
    if (id.success) return { id: id.data };
  } else {
    const name = backupFileNameSchema.safeParse(raw);
    if (name.success) return { fileName: name.data };
  }
  throw new SafekeepError("bad_request", "Expected a backup id or a backup file name");
}

export function parseJobId(raw: string): number {
  const id = idSchema.safeParse(raw);
  if (!id.success) throw new SafekeepError("bad_request", "Expected a backup id");
  return id.data;
}

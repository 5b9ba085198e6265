import { z } from "zod";
import { isDatabaseKind, type DatabaseKind } from "@/lib/backup/database/registry";

export const MANIFEST_NAME = "manifest.json";
export const MANIFEST_FORMAT_VERSION = 1;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const manifestSchema = z.object({
  formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
  app: z.literal("safekeep"),
  createdAt: z.string(),
  backupName: z.string(),
  source: z.object({
    hostname: z.string(),
    fileRoots: z.array(z.object({ label: z.string(), path: z.string() })),
  }),
  database: z
    .object({
      kind: z.custom<DatabaseKind>((v) => isDatabaseKind(v), "an unknown kind of database"),
      name: z.string(),
      entry: z.string(),
      size: z.number().nonnegative(),
      sha256,
    })
    .nullable(),
  files: z.array(
    z.object({ entry: z.string(), size: z.number().nonnegative(), sha256, mode: z.number(), mtime: z.string() }),
  ),
  directories: z.array(z.string()),
  symlinks: z.array(z.object({ entry: z.string(), target: z.string() })),
  warnings: z.array(z.string()),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestFile = Manifest["files"][number];

import { fromRoot } from "@/lib/config";
import { describeTarget, isPortalDatabase, parseDatabaseUrl, type DatabaseTarget } from "@/lib/backup/database/registry";
import type { Manifest } from "@/lib/backup/archive/manifest";
import type { RestoreParts } from "@/lib/backup/jobs/queue";
import { labelRoots } from "@/lib/backup/archive/walk";
import type { Settings } from "@/lib/settings";

export interface RestorePlan {
  database: {
    target: DatabaseTarget;
    description: string;
    /** The portal's own database: restoring it replaces the portal's own records too. */
    isPortal: boolean;
    fromKind: string;
    fromName: string;
    bytes: number;
  } | null;
  roots: { label: string; target: string; files: number; bytes: number }[];
  problems: string[];
}

/**
 * What a restore would replace, for the confirmation page, the CLI and the restore itself: the configured
 * database, and each root in the archive mapped by its label to today's root of that name (or, when
 * there is none, to where it was when the backup was made).
 */
export function planRestore(manifest: Manifest, settings: Settings, parts: RestoreParts): RestorePlan {
  const problems: string[] = [];
  let database: RestorePlan["database"] = null;
  if (parts !== "files" && manifest.database) {
    const target = parseDatabaseUrl(settings.databaseUrl);
    if (target.kind !== manifest.database.kind) {
      problems.push(`The backup holds a ${manifest.database.kind} database but the configured database is ${target.kind}`);
    }
    database = {
      target,
      description: describeTarget(target),
      isPortal: isPortalDatabase(target),
      fromKind: manifest.database.kind,
      fromName: manifest.database.name,
      bytes: manifest.database.size,
    };
  } else if (parts === "database") {
    problems.push("This backup holds no database");
  }
  const current = new Map(labelRoots(settings.fileRoots.map(fromRoot)).map((r) => [r.label, r.path]));
  const roots =
    parts === "database"
      ? []
      : manifest.source.fileRoots.map((root) => {
          const files = manifest.files.filter((f) => f.entry.startsWith(`files/${root.label}/`));
          return {
            label: root.label,
            target: current.get(root.label) ?? root.path,
            files: files.length,
            bytes: files.reduce((sum, f) => sum + f.size, 0),
          };
        });
  if (parts === "files" && roots.length === 0) problems.push("This backup holds no files");
  return { database, roots, problems };
}

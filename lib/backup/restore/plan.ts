import { fromRoot } from "@/lib/config";
import { describeTarget, isPortalDatabase, parseDatabaseUrl, type DatabaseTarget } from "@/lib/backup/database/registry";
import type { InspectedArchive } from "@/lib/backup/restore/archive-rules";
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

/** Archive root label → folder, given by whoever runs the restore (`backup:restore --map label=path`). */
export type RootMap = ReadonlyMap<string, string>;

/**
 * What a restore would replace, for the confirmation page, the CLI and the restore itself: the configured
 * database, and each root in the archive mapped by its label to today's root of that name, or to the
 * folder an explicit map gives it. Where the backup was made (the manifest's `path`) is never a target:
 * an archive is hostile input, and may name any folder on the machine.
 */
export function planRestore(
  { manifest, summary }: Pick<InspectedArchive, "manifest" | "summary">,
  settings: Settings,
  parts: RestoreParts,
  rootMap: RootMap = new Map(),
): RestorePlan {
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
  const configured = labelRoots(settings.fileRoots.map(fromRoot));
  const current = new Map(configured.map((r) => [r.label, r.path]));
  for (const label of rootMap.keys()) {
    if (!manifest.source.fileRoots.some((r) => r.label === label)) problems.push(`--map ${label}=…: this backup holds no folder labelled ${label}`);
  }
  const roots: RestorePlan["roots"] = [];
  if (parts !== "database") {
    for (const root of manifest.source.fileRoots) {
      const target = rootMap.get(root.label) ?? current.get(root.label);
      if (!target) {
        const known = configured.length ? configured.map((r) => `${r.label} (${r.path})`).join(", ") : "none";
        problems.push(
          `The backup holds the folder "${root.label}" (from ${root.path} when it was made), which is not one of the configured file roots (${known}): ` +
            `add that folder to the file roots in the settings, or restore from the command line with --map ${root.label}=<folder>`,
        );
        continue;
      }
      const held = summary.roots.get(root.label) ?? { files: 0, bytes: 0 };
      roots.push({ label: root.label, target, files: held.files, bytes: held.bytes });
    }
    if (manifest.source.fileRoots.length === 0 && parts === "files") problems.push("This backup holds no files");
  }
  return { database, roots, problems };
}

import fs from "node:fs/promises";
import path from "node:path";
import fg from "fast-glob";

export interface FileRoot {
  /** The folder name the root gets inside `files/` in the archive. */
  label: string;
  path: string;
}

export type WalkEntry =
  | { type: "file"; absPath: string; entry: string; size: number; mode: number; mtime: Date }
  | { type: "directory"; absPath: string; entry: string; mode: number; mtime: Date }
  | { type: "symlink"; absPath: string; entry: string; target: string; mode: number };

export interface WalkResult {
  roots: FileRoot[];
  entries: WalkEntry[];
  totalFileBytes: number;
  warnings: string[];
}

/** Gives each root a distinct label: its folder name, numbered when two roots share one. */
export function labelRoots(rootPaths: string[]): FileRoot[] {
  const used = new Set<string>();
  return rootPaths.map((p) => {
    const base = path.basename(p) || "root";
    let label = base;
    for (let n = 2; used.has(label); n++) label = `${base}-${n}`;
    used.add(label);
    return { label, path: p };
  });
}

/**
 * Lists every file, directory and symlink under the roots, minus the excluded globs (relative to each root).
 * Links are never followed, so a link cannot pull in anything outside the roots.
 */
export async function walkRoots(
  rootPaths: string[],
  excludeGlobs: string[],
  /** Absolute directories never archived, such as the backup directory when a root contains it. */
  skipDirs: string[] = [],
): Promise<WalkResult> {
  const skipped = (p: string) => skipDirs.some((dir) => p === dir || p.startsWith(dir + path.sep));
  const roots = labelRoots(rootPaths);
  const entries: WalkEntry[] = [];
  const warnings: string[] = [];
  for (const root of roots) {
    const rootStat = await fs.stat(root.path).catch(() => null);
    if (!rootStat?.isDirectory()) {
      warnings.push(`File root ${root.path} does not exist or is not a directory; skipped`);
      continue;
    }
    const found = await fg.async("**", {
      cwd: root.path,
      dot: true,
      onlyFiles: false,
      followSymbolicLinks: false,
      stats: true,
      ignore: excludeGlobs,
      suppressErrors: true,
    });
    for (const item of found) {
      const absPath = path.join(root.path, item.path);
      if (skipped(absPath)) continue;
      const entry = `files/${root.label}/${item.path}`;
      const stats = item.stats!;
      if (item.dirent.isSymbolicLink()) {
        const target = await fs.readlink(absPath).catch(() => null);
        if (target === null) warnings.push(`Could not read link ${absPath}; skipped`);
        else entries.push({ type: "symlink", absPath, entry, target, mode: stats.mode });
      } else if (item.dirent.isDirectory()) {
        entries.push({ type: "directory", absPath, entry: `${entry}/`, mode: stats.mode, mtime: stats.mtime });
      } else if (item.dirent.isFile()) {
        entries.push({ type: "file", absPath, entry, size: stats.size, mode: stats.mode, mtime: stats.mtime });
      } else {
        warnings.push(`${absPath} is not a regular file (socket, FIFO or device); skipped`);
      }
    }
  }
  entries.sort((a, b) => (a.entry < b.entry ? -1 : a.entry > b.entry ? 1 : 0));
  const totalFileBytes = entries.reduce((sum, e) => sum + (e.type === "file" ? e.size : 0), 0);
  return { roots, entries, totalFileBytes, warnings };
}

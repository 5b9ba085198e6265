import fs from "node:fs/promises";
import path from "node:path";
import picomatch from "picomatch";

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

/** lstat calls in flight at once within one directory: enough to keep the thread pool busy. */
const STAT_BATCH = 64;

/**
 * Lists every file, directory and symlink under the roots, minus the excluded globs (relative to each root,
 * picomatch syntax, dotfiles included; an excluded directory is not entered). Links are never followed,
 * so a link cannot pull in anything outside the roots. One lstat per entry, and only the compact entries
 * are kept: a walk of 20,000 files holds about 5 MB.
 */
export async function walkRoots(
  rootPaths: string[],
  excludeGlobs: string[],
  /** Absolute directories never archived, such as the backup directory when a root contains it. */
  skipDirs: string[] = [],
): Promise<WalkResult> {
  const skipped = (p: string) => skipDirs.some((dir) => p === dir || p.startsWith(dir + path.sep));
  const excluded = excludeGlobs.length ? picomatch(excludeGlobs, { dot: true }) : () => false;
  const roots = labelRoots(rootPaths);
  const entries: WalkEntry[] = [];
  const warnings: string[] = [];

  async function walkDir(root: FileRoot, relDir: string): Promise<void> {
    const absDir = relDir ? path.join(root.path, relDir) : root.path;
    const names = await fs.readdir(absDir).catch((e: NodeJS.ErrnoException) => {
      warnings.push(`Could not read the folder ${absDir} (${e.code ?? e.message}); skipped`);
      return [] as string[];
    });
    names.sort();
    const subdirs: string[] = [];
    for (let i = 0; i < names.length; i += STAT_BATCH) {
      await Promise.all(
        names.slice(i, i + STAT_BATCH).map(async (name) => {
          const rel = relDir ? `${relDir}/${name}` : name;
          const absPath = path.join(absDir, name);
          if (skipped(absPath) || excluded(rel)) return;
          const stats = await fs.lstat(absPath).catch(() => null);
          if (!stats) return; // Gone since the listing: nothing to back up.
          const entry = `files/${root.label}/${rel}`;
          if (stats.isSymbolicLink()) {
            const target = await fs.readlink(absPath).catch(() => null);
            if (target === null) warnings.push(`Could not read link ${absPath}; skipped`);
            else entries.push({ type: "symlink", absPath, entry, target, mode: stats.mode });
          } else if (stats.isDirectory()) {
            if (excluded(`${rel}/`)) return;
            entries.push({ type: "directory", absPath, entry: `${entry}/`, mode: stats.mode, mtime: stats.mtime });
            subdirs.push(rel);
          } else if (stats.isFile()) {
            entries.push({ type: "file", absPath, entry, size: stats.size, mode: stats.mode, mtime: stats.mtime });
          } else {
            warnings.push(`${absPath} is not a regular file (socket, FIFO or device); skipped`);
          }
        }),
      );
    }
    for (const rel of subdirs.sort()) await walkDir(root, rel);
  }

  for (const root of roots) {
    const rootStat = await fs.stat(root.path).catch(() => null);
    if (!rootStat?.isDirectory()) {
      warnings.push(`File root ${root.path} does not exist or is not a directory; skipped`);
      continue;
    }
    await walkDir(root, "");
  }
  entries.sort((a, b) => (a.entry < b.entry ? -1 : a.entry > b.entry ? 1 : 0));
  const totalFileBytes = entries.reduce((sum, e) => sum + (e.type === "file" ? e.size : 0), 0);
  return { roots, entries, totalFileBytes, warnings };
}

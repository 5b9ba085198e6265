import fs from "node:fs/promises";
import path from "node:path";
import picomatch from "picomatch";
import { memoryStore, type ByteStore } from "@/lib/backup/archive/spool";

export interface FileRoot {
  /** The folder name the root gets inside `files/` in the archive. */
  label: string;
  path: string;
}

/** One walked entry; the absolute path, the archive name and the date are made when asked for. */
class Walked<T extends "file" | "directory" | "symlink"> {
  constructor(
    readonly type: T,
    readonly root: FileRoot,
    /** The path inside the root, `/`-separated. */
    readonly rel: string,
    readonly mode: number,
    readonly size: number,
    readonly mtimeMs: number,
    readonly target: T extends "symlink" ? string : undefined,
  ) {}

  get absPath(): string {
    return path.join(this.root.path, this.rel);
  }

  /** The name inside the archive; a directory's ends with `/`. */
  get entry(): string {
    return `files/${this.root.label}/${this.rel}${this.type === "directory" ? "/" : ""}`;
  }

  get mtime(): Date {
    return new Date(this.mtimeMs);
  }
}

export type WalkEntry = Walked<"file"> | Walked<"directory"> | Walked<"symlink">;

export interface WalkResult {
  roots: FileRoot[];
  count: number;
  /** How many of `count` are regular files (the rest are folders and links). */
  fileCount: number;
  totalFileBytes: number;
  warnings: string[];
  /** Every entry, depth first, each folder in name order; read back from the walk's store. */
  entries(): AsyncIterable<WalkEntry>;
}

type Line = [type: WalkEntry["type"], root: number, rel: string, mode: number, size: number, mtimeMs: number, target?: string];

function toLine(item: WalkEntry, roots: FileRoot[]): string {
  const line: Line = [item.type, roots.indexOf(item.root), item.rel, item.mode, item.size, item.mtimeMs];
  if (item.type === "symlink") line.push(item.target);
  // JSON escapes any newline in a name, so one line is one entry.
  return `${JSON.stringify(line)}\n`;
}

function fromLine(text: string, roots: FileRoot[]): WalkEntry {
  const [type, root, rel, mode, size, mtimeMs, target] = JSON.parse(text) as Line;
  // The line was written from such an entry (toLine): its type, size and target already agree.
  return new Walked(type, roots[root]!, rel, mode, size, mtimeMs, target) as WalkEntry;
}

async function* readLines(store: ByteStore, roots: FileRoot[]): AsyncGenerator<WalkEntry> {
  let carry = "";
  for await (const chunk of store.read()) {
    const lines = (carry + chunk.toString("utf8")).split("\n");
    carry = lines.pop()!;
    for (const line of lines) yield fromLine(line, roots);
  }
  if (carry) yield fromLine(carry, roots);
}

/** A walk of nothing, for an archive of the database alone. */
export function emptyWalk(): WalkResult {
  return { roots: [], count: 0, fileCount: 0, totalFileBytes: 0, warnings: [], entries: async function* () {} };
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
 * so a link cannot pull in anything outside the roots. One lstat per entry. The entries go to `store` as
 * they are found (a file spool in a backup), so the walk's memory does not grow with the file count:
 * it holds only the names of the folders on the current path.
 */
export async function walkRoots(
  rootPaths: string[],
  excludeGlobs: string[],
  /** Absolute directories never archived, such as the backup directory when a root contains it. */
  skipDirs: string[] = [],
  store: ByteStore = memoryStore(),
): Promise<WalkResult> {
  const skipped = (p: string) => skipDirs.some((dir) => p === dir || p.startsWith(dir + path.sep));
  const excluded = excludeGlobs.length ? picomatch(excludeGlobs, { dot: true }) : () => false;
  const roots = labelRoots(rootPaths);
  const warnings: string[] = [];
  let totalFileBytes = 0;
  let fileCount = 0;

  async function walkDir(root: FileRoot, relDir: string): Promise<void> {
    const absDir = relDir ? path.join(root.path, relDir) : root.path;
    const names = await fs.readdir(absDir).catch((e: NodeJS.ErrnoException) => {
      warnings.push(`Could not read the folder ${absDir} (${e.code ?? e.message}); skipped`);
      return [] as string[];
    });
    names.sort();
    const found = new Map<string, WalkEntry>();
    for (let i = 0; i < names.length; i += STAT_BATCH) {
      await Promise.all(
        names.slice(i, i + STAT_BATCH).map(async (name) => {
          const rel = relDir ? `${relDir}/${name}` : name;
          const absPath = path.join(absDir, name);
          if (skipped(absPath) || excluded(rel)) return;
          const stats = await fs.lstat(absPath).catch(() => null);
          if (!stats) return; // Gone since the listing: nothing to back up.
          if (stats.isSymbolicLink()) {
            const target = await fs.readlink(absPath).catch(() => null);
            if (target === null) warnings.push(`Could not read link ${absPath}; skipped`);
            else found.set(name, new Walked("symlink", root, rel, stats.mode, 0, stats.mtimeMs, target));
          } else if (stats.isDirectory()) {
            if (excluded(`${rel}/`)) return;
            found.set(name, new Walked("directory", root, rel, stats.mode, 0, stats.mtimeMs, undefined));
          } else if (stats.isFile()) {
            found.set(name, new Walked("file", root, rel, stats.mode, stats.size, stats.mtimeMs, undefined));
          } else {
            warnings.push(`${absPath} is not a regular file (socket, FIFO or device); skipped`);
          }
        }),
      );
    }
    // Depth first, each folder's names in order: the same tree always walks the same way, with no sort
    // of the whole list.
    for (const name of names) {
      const item = found.get(name);
      if (!item) continue;
      await store.append(toLine(item, roots));
      totalFileBytes += item.size;
      if (item.type === "file") fileCount++;
      if (item.type === "directory") await walkDir(root, item.rel);
    }
  }

  for (const root of roots) {
    const rootStat = await fs.stat(root.path).catch(() => null);
    if (!rootStat?.isDirectory()) {
      warnings.push(`File root ${root.path} does not exist or is not a directory; skipped`);
      continue;
    }
    await walkDir(root, "");
  }
  return { roots, count: store.count, fileCount, totalFileBytes, warnings, entries: () => readLines(store, roots) };
}

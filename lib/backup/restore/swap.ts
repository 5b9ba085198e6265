import fs from "node:fs/promises";
import path from "node:path";
import type { ManifestRoot } from "@/lib/backup/archive/manifest";

/**
 * Where a root's files go back: the folder itself, or, when the configured root is a link
 * (`storage -> /data/storage`), the folder it points to, so that the link stays and the real data is
 * what gets restored. A root that does not exist yet is made.
 */
export async function resolveRootTarget(configured: string): Promise<string> {
  const stats = await fs.lstat(configured).catch(() => null);
  if (!stats) return configured;
  const real = await fs.realpath(configured).catch(() => null);
  if (!real) throw new Error(`The folder ${configured} is a link to a place that does not exist`);
  if (!(await fs.stat(real)).isDirectory()) throw new Error(`${configured} is not a folder`);
  return real;
}

/** One rename made by a swap, so that it can be undone. */
interface Move {
  from: string | Buffer;
  to: string | Buffer;
}

interface FolderMeta {
  mode: number;
  uid: number;
  gid: number;
  atime: Date;
  mtime: Date;
}

export interface SwapJournal {
  target: string;
  aside: string;
  moves: Move[];
  /** Folders that stay in place (the root, those above a kept folder) with their metadata before the swap. */
  folders: { at: string | Buffer; before: FolderMeta }[];
  made: boolean;
}

const join = (dir: string | Buffer, name: Buffer) => Buffer.concat([Buffer.from(dir), Buffer.from("/"), name]);
const inside = (dir: string, p: string) => p === dir || p.startsWith(dir + path.sep);

/**
 * Puts the staged tree in place of the target's content, entry by entry: the target folder itself stays
 * (its inode, its mount, a link pointing at it), its previous entries go to `aside`, kept until the
 * restore is over. `keep` lists folders that are never moved, replaced or deleted, such as the backup
 * directory when it lies inside the root: the folders above them stay too, and only their other entries
 * are swapped. Every rename is journaled: `undoSwap` puts everything back.
 */
export async function swapTreeIn(target: string, staged: string, aside: string, keep: string[], rootMeta?: ManifestRoot): Promise<SwapJournal> {
  const journal: SwapJournal = { target, aside, moves: [], folders: [], made: false };
  const existing = await fs.lstat(target).catch(() => null);
  if (existing) {
    journal.folders.push({ at: target, before: existing });
  } else {
    await fs.mkdir(target, { recursive: true, mode: 0o700 });
    journal.made = true;
  }
  const kept = keep.filter((dir) => inside(target, dir) && dir !== target);
  try {
    await swapLevel(Buffer.from(target), Buffer.from(staged), Buffer.from(aside), target);
    if (rootMeta) await applyRootMeta(target, rootMeta);
  } catch (error) {
    await undoSwap(journal).catch(() => {});
    throw error;
  }
  return journal;

  async function swapLevel(live: Buffer, from: Buffer | null, away: Buffer, shown: string): Promise<void> {
    await fs.mkdir(away, { mode: 0o700 });
    const protectedHere = (name: Buffer) => {
      const at = path.join(shown, name.toString("utf8"));
      // Only plain names can lead to a kept folder (its path is text): compare the bytes as well.
      if (!Buffer.from(at.slice(shown.length + 1)).equals(name)) return "no" as const;
      if (kept.includes(at)) return "kept" as const;
      return kept.some((dir) => inside(at, dir)) ? ("above" as const) : ("no" as const);
    };
    const stagedNames = from ? await fs.readdir(from, { encoding: "buffer" }) : [];
    for (const name of await fs.readdir(live, { encoding: "buffer" })) {
      const role = protectedHere(name);
      if (role === "kept") continue;
      if (role === "above" && (await fs.lstat(join(live, name))).isDirectory()) {
        const stagedDir = from ? await fs.lstat(join(from, name)).catch(() => null) : null;
        journal.folders.push({ at: join(live, name), before: await fs.lstat(join(live, name)) });
        await swapLevel(join(live, name), stagedDir?.isDirectory() ? join(from!, name) : null, join(away, name), path.join(shown, name.toString("utf8")));
        // The folder stays; it takes the staged one's mode, owner and date.
        if (stagedDir?.isDirectory()) await copyMeta(stagedDir, join(live, name));
        continue;
      }
      await move(join(live, name), join(away, name));
    }
    for (const name of stagedNames) {
      if (!from) break;
      // A kept folder, or a folder above one, is not replaced: the staged copy stays behind, removed with the staging place.
      if (protectedHere(name) !== "no" && (await fs.lstat(join(live, name)).catch(() => null))) continue;
      await move(join(from, name), join(live, name));
    }
  }

  async function move(from: Buffer, to: Buffer): Promise<void> {
    await fs.rename(from, to);
    journal.moves.push({ from, to });
  }
}

async function copyMeta(from: FolderMeta, to: string | Buffer): Promise<void> {
  if (process.getuid?.() === 0) await fs.lchown(to, from.uid, from.gid);
  await fs.chmod(to, from.mode & 0o7777);
  await fs.utimes(to, from.atime, from.mtime);
}

/** The root folder's own mode, owner (as root) and date, as the backup recorded them. */
async function applyRootMeta(target: string, meta: ManifestRoot): Promise<void> {
  const dir = await fs.open(target, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    if (process.getuid?.() === 0 && meta.uid !== undefined && meta.gid !== undefined) await dir.chown(meta.uid, meta.gid);
    if (meta.mode !== undefined) await dir.chmod(meta.mode);
    if (meta.mtime) await dir.utimes(new Date(meta.mtime), new Date(meta.mtime));
  } finally {
    await dir.close();
  }
}

/** Every rename undone, last first; the root folder's metadata as it was. */
export async function undoSwap(journal: SwapJournal): Promise<void> {
  for (const { from, to } of [...journal.moves].reverse()) await fs.rename(to, from);
  journal.moves = [];
  await fs.rm(journal.aside, { recursive: true, force: true });
  if (journal.made) await fs.rmdir(journal.target).catch(() => {});
  // Deepest first: setting a folder's date does not change its parent's.
  for (const { at, before } of [...journal.folders].reverse()) await copyMeta(before, at).catch(() => {});
}

import { createHash } from "node:crypto";
import fs from "node:fs";
import { crc32, deflateRawSync } from "node:zlib";
import { ZipWriter } from "@/lib/backup/archive/zip-writer";

export interface CraftedEntry {
  name: string;
  kind: "file" | "directory" | "symlink";
  data?: Buffer | string;
}

/**
 * A zip written entry by entry as a hostile or an old portal would, with the manifest given (JSON as is, or
 * its text when a string; deflated with `deflateManifest`, so that a manifest of many megabytes of the same
 * bytes makes a small archive).
 */
export async function craftArchive(file: string, entries: CraftedEntry[], manifest: unknown, opts: { deflateManifest?: boolean } = {}): Promise<void> {
  const chunks: Buffer[] = [];
  const zip = new ZipWriter(async (chunk) => void chunks.push(chunk));
  const add = async (name: string, kind: CraftedEntry["kind"], data: Buffer) =>
    zip.addPrepared({ name, kind, mode: kind === "directory" ? 0o755 : 0o644, mtime: new Date() }, { method: 0, crc: crc32(data), size: data.length, data });
  for (const entry of entries) await add(entry.name, entry.kind, Buffer.from(entry.data ?? ""));
  const text = Buffer.from(typeof manifest === "string" ? manifest : JSON.stringify(manifest));
  if (opts.deflateManifest) {
    const meta = { name: "manifest.json", kind: "file" as const, mode: 0o644, mtime: new Date() };
    await zip.addPrepared(meta, { method: 8, crc: crc32(text), size: text.length, data: deflateRawSync(text) });
  } else await add("manifest.json", "file", text);
  await zip.finish();
  fs.writeFileSync(file, Buffer.concat(chunks));
}

export const digest = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

/** A manifest of the current format for `files`, `directories` and `symlinks` under the given roots. */
export function craftedManifest(opts: {
  roots: { label: string; path: string }[];
  files?: { entry: string; data: string; raw?: Buffer }[];
  directories?: string[];
  symlinks?: { entry: string; target: string; raw?: Buffer }[];
  formatVersion?: 1 | 2;
}) {
  const v1 = opts.formatVersion === 1;
  return {
    formatVersion: opts.formatVersion ?? 2,
    app: "safekeep",
    createdAt: new Date().toISOString(),
    backupName: "crafted",
    source: { hostname: "elsewhere", fileRoots: opts.roots },
    database: null,
    files: (opts.files ?? []).map((f) => ({
      entry: f.entry,
      size: Buffer.byteLength(f.data),
      sha256: digest(f.data),
      mode: 0o644,
      mtime: new Date().toISOString(),
      ...(f.raw ? { raw: f.raw.toString("base64") } : {}),
    })),
    directories: v1 ? (opts.directories ?? []) : (opts.directories ?? []).map((entry) => ({ entry, mode: 0o755 })),
    symlinks: (opts.symlinks ?? []).map((l) => ({ entry: l.entry, target: l.target, ...(l.raw ? { raw: l.raw.toString("base64") } : {}) })),
    warnings: [],
  };
}

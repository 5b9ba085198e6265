import type { ManifestFile } from "@/lib/backup/archive/manifest";

/**
 * The manifest's file records as a restore keeps them for its whole run, in about half the memory of the
 * parsed JSON: the SHA-256 as 32 bytes in one shared table rather than a 64-character string, the date
 * as a number when its text is exactly what toISOString gives back (what our writer writes), fields in
 * one fixed shape. Read through the ManifestFile shape, so code that uses a file record does not change.
 */
export class Digests {
  private table: Buffer;
  private count = 0;

  /** Room for `expected` digests from the start: growing copies the table, and the old one lingers. */
  constructor(expected = 1024) {
    this.table = Buffer.alloc(32 * Math.max(1, expected));
  }

  add(hex: string): number {
    if ((this.count + 1) * 32 > this.table.length) {
      const grown = Buffer.alloc(this.table.length * 2);
      this.table.copy(grown);
      this.table = grown;
    }
    this.table.write(hex, this.count * 32, 32, "hex");
    return this.count++;
  }

  hex(index: number): string {
    return this.table.toString("hex", index * 32, index * 32 + 32);
  }
}

export class FileRecord implements ManifestFile {
  /** The date as a number when its text is exactly toISOString's, otherwise the text itself. */
  private readonly when: number | string;

  constructor(
    public entry: string,
    readonly size: number,
    private readonly digests: Digests,
    private readonly digest: number,
    readonly mode: number,
    mtime: string,
    readonly uid: number | undefined,
    readonly gid: number | undefined,
    readonly raw: string | undefined,
  ) {
    const ms = Date.parse(mtime);
    this.when = Number.isFinite(ms) && new Date(ms).toISOString() === mtime ? ms : mtime;
  }

  get sha256(): string {
    return this.digests.hex(this.digest);
  }

  get mtime(): string {
    return typeof this.when === "string" ? this.when : new Date(this.when).toISOString();
  }
}

const SHA256 = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const KEYS = new Set(["entry", "size", "sha256", "mode", "mtime", "uid", "gid", "raw"]);
const owner = (v: unknown) => v === undefined || (typeof v === "number" && Number.isSafeInteger(v) && v >= 0);

/**
 * A version 2 file record, when it is plainly valid (every field of the right type and form, nothing
 * else in it); null when it is not plainly so, and the schema then decides. Checked by hand because it
 * runs 200,000 times for a 200,000-file archive. Kept compactly with `digests`, as a plain object without.
 */
export function plainFileRecord(value: unknown, digests?: Digests): ManifestFile | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  for (const key in v) if (!KEYS.has(key)) return null;
  const { entry, size, sha256, mode, mtime, uid, gid, raw } = v;
  if (typeof entry !== "string" || typeof size !== "number" || !Number.isFinite(size) || size < 0) return null;
  if (typeof sha256 !== "string" || !SHA256.test(sha256) || typeof mode !== "number" || !Number.isFinite(mode) || typeof mtime !== "string") return null;
  if (!owner(uid) || !owner(gid) || (raw !== undefined && (typeof raw !== "string" || !BASE64.test(raw)))) return null;
  if (!digests) return { entry, size, sha256, mode, mtime, uid: uid as number | undefined, gid: gid as number | undefined, raw: raw as string | undefined };
  return new FileRecord(
    entry,
    size,
    digests,
    digests.add(sha256),
    mode,
    mtime,
    uid as number | undefined,
    gid as number | undefined,
    raw as string | undefined,
  );
}

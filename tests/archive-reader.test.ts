import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { openArchiveSource } from "@/lib/backup/archive/archive-source";
import { findDirectory, listEntries } from "@/lib/backup/archive/central-directory";
import { manifestSchema, type Manifest } from "@/lib/backup/archive/manifest";
import { readManifest } from "@/lib/backup/archive/manifest-reader";
import { ZipWriter } from "@/lib/backup/archive/zip-writer";
import { readWholeEntry } from "@/lib/backup/archive/entry-reader";

/** A manifest as plain data (file records are read through getters), for comparing with the schema's result. */
function plain(m: Manifest | null): unknown {
  if (!m) return null;
  const files = m.files.map((f) => ({ entry: f.entry, size: f.size, sha256: f.sha256, mode: f.mode, mtime: f.mtime, uid: f.uid, gid: f.gid, raw: f.raw }));
  return JSON.parse(JSON.stringify({ ...m, files }));
}

function whole(text: string): unknown {
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(text));
    return parsed.success ? plain(parsed.data) : null;
  } catch {
    return null;
  }
}

async function streamed(text: string, piece: number): Promise<unknown> {
  const bytes = Buffer.from(text);
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += piece) pieces.push(bytes.subarray(at, at + piece));
  return plain(await readManifest(Readable.from(pieces)));
}

const sha = "a".repeat(64);
const v2 = {
  formatVersion: 2,
  app: "safekeep",
  createdAt: "2026-01-02T03:04:05.678Z",
  backupName: "b",
  source: { hostname: "h", fileRoots: [{ label: "site", path: "/srv/site", mode: 0o755, files: [1, 2] }] },
  database: { kind: "sqlite", name: "app.db", entry: "database/app.db", size: 10, sha256: sha },
  files: [
    { entry: "files/site/a.txt", size: 1, sha256: sha, mode: 0o644, mtime: "2026-01-02T03:04:05.678Z", uid: 0, gid: 0 },
    { entry: "files/site/caf%E9", size: 2, sha256: sha, mode: 0o4755, mtime: "2026-01-02T03:04:05Z", raw: "Y2Fm6Q==" },
    { entry: 'files/site/odd "[name]", {x}\\', size: 0, sha256: sha, mode: 0o600, mtime: "not a date", extra: "dropped" },
  ],
  directories: [{ entry: "files/site/d/", mode: 0o700 }, { entry: "files/site/e/" }],
  symlinks: [{ entry: "files/site/l", target: "a.txt", targetRaw: "YS50eHQ=", mtime: "2026-01-02T03:04:05.678Z" }],
  warnings: ["one ] warning", "two"],
};
const v1 = {
  formatVersion: 1,
  app: "safekeep",
  createdAt: "2020-01-02T03:04:05.678Z",
  backupName: "old",
  source: { hostname: "h", fileRoots: [{ label: "site", path: "/srv/site" }] },
  database: null,
  files: [
    { entry: "files/site/a.txt", size: 1, sha256: sha, mode: 0o644, mtime: "2020-01-02T03:04:05.678Z", uid: 1.5 },
    { entry: "files/site/b.txt", size: 1, sha256: sha, mode: 0o644, mtime: "2020-01-02T03:04:05.678Z", uid: 7, raw: "YQ==" },
  ],
  directories: ["files/site/d/"],
  symlinks: [{ entry: "files/site/l", target: "a.txt", targetRaw: "!!" }],
  warnings: [],
};

describe("the streamed manifest reader", () => {
  const valid: [string, string][] = [
    ["version 2", JSON.stringify(v2)],
    ["version 2, pretty-printed", JSON.stringify(v2, null, 2)],
    ["version 2, lists before the version", JSON.stringify(Object.fromEntries(Object.entries(v2).reverse()))],
    ["version 1 (extra fields dropped, as the schema drops them)", JSON.stringify(v1)],
    ["empty lists", JSON.stringify({ ...v2, files: [], directories: [], symlinks: [], database: null })],
    ["a list key written with an escape", JSON.stringify(v2).replace('"files"', '"fil\\u0065s"')],
  ];
  it.each(valid)("reads %s as the whole-document schema does, however it is cut", async (_what, text) => {
    const expected = whole(text);
    expect(expected).not.toBeNull();
    for (const piece of [1, 3, 64, 1 << 20]) expect(await streamed(text, piece)).toEqual(expected);
  });

  const text = JSON.stringify(v2);
  const invalid: [string, string][] = [
    ["a trailing comma in a list", text.replace(/\}\],"directories"/, '},],"directories"')],
    ["a leading comma in a list", text.replace('"files":[', '"files":[,')],
    ["two records without a comma", text.replace('},{"entry":"files/site/caf', '} {"entry":"files/site/caf')],
    ["a list given twice", text.replace('"warnings":', '"files":[],"warnings":')],
    ["no links list", JSON.stringify({ ...v2, symlinks: undefined })],
    ["a list that is not a list", JSON.stringify({ ...v2, files: null })],
    ["a version 1 folder in version 2", JSON.stringify({ ...v2, directories: ["files/site/d/"] })],
    ["a version 2 folder in version 1", JSON.stringify({ ...v1, directories: [{ entry: "files/site/d/" }] })],
    ["an owner that is not an integer in version 2", JSON.stringify({ ...v2, files: [{ ...v2.files[0], uid: 1.5 }] })],
    ["a bad checksum", JSON.stringify({ ...v2, files: [{ ...v2.files[0], sha256: "xyz" }] })],
    ["a negative size", JSON.stringify({ ...v2, files: [{ ...v2.files[0], size: -1 }] })],
    ["an unknown version", JSON.stringify({ ...v2, formatVersion: 3 })],
    ["text after the document", `${text} x`],
    ["a document cut short", text.slice(0, -40)],
    ["a list closed with a brace", text.replace(/\}\],"directories"/, '}},"directories"')],
    ["not an object", "[1, 2]"],
    ["nothing", ""],
  ];
  it.each(invalid)("refuses %s", async (_what, bad) => {
    for (const piece of [1, 5, 1 << 20]) expect(await streamed(bad, piece)).toBeNull();
  });
});

describe("the central directory reader", () => {
  async function zipOf(names: string[]): Promise<Buffer> {
    const parts: Buffer[] = [];
    const zip = new ZipWriter(async (chunk) => void parts.push(Buffer.from(chunk)));
    for (const name of names) {
      await zip.addPrepared({ name, mode: 0o644, mtime: new Date(), kind: "file" }, { method: 0, crc: 0, size: 0, data: Buffer.alloc(0) });
    }
    await zip.finish();
    return Buffer.concat(parts);
  }

  async function list(bytes: Buffer): Promise<string[]> {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cd-")), "a.zip");
    fs.writeFileSync(file, bytes);
    const source = await openArchiveSource(file);
    try {
      return (await listEntries(source, await findDirectory(source))).map((e) => e.name);
    } finally {
      await source.close();
      fs.rmSync(path.dirname(file), { recursive: true });
    }
  }

  const names = ["a.txt", "dir/b.txt", "c.txt"];
  const eocd = (bytes: Buffer) => bytes.length - 22;

  it("lists every entry in order", async () => {
    expect(await list(await zipOf(names))).toEqual(names);
  });

  it("refuses an archive cut short, a count that lies either way, a directory outside the archive, data past the directory", async () => {
    const good = await zipOf(names);
    await expect(list(good.subarray(0, good.length - 5))).rejects.toThrow(/end of central directory/);
    const more = Buffer.from(good);
    more.writeUInt16LE(4, eocd(more) + 8);
    more.writeUInt16LE(4, eocd(more) + 10);
    await expect(list(more)).rejects.toThrow(/too small for 4 entries|past the end of the central directory/);
    const fewer = Buffer.from(good);
    fewer.writeUInt16LE(2, eocd(fewer) + 8);
    fewer.writeUInt16LE(2, eocd(fewer) + 10);
    await expect(list(fewer)).rejects.toThrow(/holds more than its 2 entries/);
    const outside = Buffer.from(good);
    outside.writeUInt32LE(good.length, eocd(outside) + 16);
    await expect(list(outside)).rejects.toThrow(/outside the archive/);
    const far = Buffer.from(good);
    far.writeUInt32LE(1 << 30, good.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 42);
    await expect(list(far)).rejects.toThrow(/lies outside the archive's file data/);
  });

  it("refuses a name flagged UTF-8 that is not, and reads an unflagged one byte by byte", async () => {
    const good = await zipOf(["caf\u00e9"]);
    const central = good.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    const bad = Buffer.from(good);
    bad[central + 46 + 4] = 0xff;
    await expect(list(bad)).rejects.toThrow(/not valid UTF-8 though flagged so/);
    bad.writeUInt16LE(bad.readUInt16LE(central + 8) & ~0x800, central + 8);
    expect(await list(bad)).toEqual(["caf\u00c3\u00ff"]);
  });

  it("takes sizes and offsets from the zip64 extra field and the zip64 end records, as an archive past 4 GiB has them", async () => {
    const name = Buffer.from("big.bin");
    const data = Buffer.from("hello");
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(45, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const prefix = Buffer.alloc(1000, 0x2e);
    const offset = prefix.length;
    const extra = Buffer.alloc(4 + 24);
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(24, 2);
    extra.writeBigUInt64LE(BigInt(data.length), 4);
    extra.writeBigUInt64LE(BigInt(data.length), 12);
    extra.writeBigUInt64LE(BigInt(offset), 20);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 45, 4);
    central.writeUInt16LE(45, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt32LE(0xffffffff, 20);
    central.writeUInt32LE(0xffffffff, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(0xffffffff, 42);
    const cdStart = offset + local.length + name.length + data.length;
    const cd = Buffer.concat([central, name, extra]);
    const end64 = Buffer.alloc(56);
    end64.writeUInt32LE(0x06064b50, 0);
    end64.writeBigUInt64LE(44n, 4);
    end64.writeBigUInt64LE(1n, 24);
    end64.writeBigUInt64LE(1n, 32);
    end64.writeBigUInt64LE(BigInt(cd.length), 40);
    end64.writeBigUInt64LE(BigInt(cdStart), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(cdStart + cd.length), 8);
    locator.writeUInt32LE(1, 16);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(0xffff, 8);
    end.writeUInt16LE(0xffff, 10);
    end.writeUInt32LE(0xffffffff, 12);
    end.writeUInt32LE(0xffffffff, 16);
    const bytes = Buffer.concat([prefix, local, name, data, cd, end64, locator, end]);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cd64-")), "a.zip");
    fs.writeFileSync(file, bytes);
    const source = await openArchiveSource(file);
    try {
      const [entry, ...rest] = await listEntries(source);
      expect(rest).toEqual([]);
      expect(entry).toMatchObject({ name: "big.bin", compressedSize: 5, uncompressedSize: 5, localHeaderOffset: offset, compressionMethod: 0 });
      expect((await readWholeEntry(source, entry!)).toString()).toBe("hello");
      // A zip64 field the record needs but whose extra field lacks it is refused, not read as garbage.
      const short = Buffer.from(bytes);
      short.writeUInt16LE(16, cdStart + 46 + name.length + 2);
      fs.writeFileSync(file, short);
      const shortSource = await openArchiveSource(file);
      await expect(listEntries(shortSource)).rejects.toThrow(/zip64 extra field is too short/);
      await shortSource.close();
    } finally {
      await source.close();
      fs.rmSync(path.dirname(file), { recursive: true });
    }
  });
});

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { writeBackupArchive, type ArchiveRequest } from "@/lib/backup/archive/write-archive";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { manifestSchema } from "@/lib/backup/archive/manifest";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { walkRoots, type WalkEntry } from "@/lib/backup/archive/walk";
import { listEntries } from "@/lib/backup/archive/central-directory";
import { openArchiveSource } from "@/lib/backup/archive/archive-source";
import { readWholeEntry } from "@/lib/backup/archive/entry-reader";
import { ZipWriter } from "@/lib/backup/archive/zip-writer";
import { loadSettings } from "@/lib/settings";
import { configure, makeFileTree, resetBackups, sha256, testRoot, unzipTo } from "./helpers/fixtures";

const logged: string[] = [];
const log = { info() {}, warn: (m: string) => void logged.push(m), error() {} };

async function archive(rootDir: string, level: number, tweak?: (req: ArchiveRequest) => void | Promise<void>) {
  const walk = await walkRoots([rootDir], []);
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "engine-")), "a.zip");
  let bytes = 0;
  const req: ArchiveRequest = {
    partFile: `${out}.part`,
    outFile: out,
    backupName: "t",
    walk,
    database: null,
    level,
    log,
    onBytes: (n) => (bytes += n),
    onPhase: () => {},
  };
  await tweak?.(req);
  const result = await writeBackupArchive(req);
  return { out, result, bytes };
}

function unpacked(file: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "unpacked-"));
  unzipTo(file, dir);
  return dir;
}

describe("the archive engine", () => {
  beforeEach(async () => {
    logged.length = 0;
    fs.rmSync(testRoot("site"), { recursive: true, force: true });
  });

  it("gives byte-identical content at every level, through the read-ahead and the streamed path alike", async () => {
    const files = makeFileTree(testRoot("site"));
    // Larger than the whole-file limit: streamed. Compressible, so levels make a difference.
    const big = Buffer.from("a log line that repeats with a counter\n".repeat(200_000));
    fs.writeFileSync(testRoot("site/big.log"), big);
    files.set("big.log", big);
    // Already compressed and larger than the whole-file limit: streamed and stored.
    const video = randomBytes(3 * 1024 * 1024 + 17);
    fs.writeFileSync(testRoot("site/video.mp4"), video);
    files.set("video.mp4", video);
    for (let i = 0; i < 300; i++) {
      const data = Buffer.from(`file ${i}\n`.repeat(1 + i * 7));
      fs.mkdirSync(testRoot("site/many"), { recursive: true });
      fs.writeFileSync(testRoot(`site/many/f-${i}.txt`), data);
      files.set(`many/f-${i}.txt`, data);
    }
    const total = [...files.values()].reduce((s, d) => s + d.length, 0);
    const sizes: number[] = [];
    for (const level of [1, 6, 9]) {
      const { out, result, bytes } = await archive(testRoot("site"), level);
      execFileSync("unzip", ["-tq", out]);
      const dir = unpacked(out);
      for (const [rel, data] of files) expect(fs.readFileSync(path.join(dir, "files/site", rel)).equals(data), rel).toBe(true);
      const manifest = manifestSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")));
      for (const f of manifest.files) expect(f.sha256).toBe(sha256(files.get(f.entry.slice("files/site/".length))!));
      // Progress counts every source byte once.
      expect(bytes).toBe(total);
      expect(result.size).toBe(fs.statSync(out).size);
      sizes.push(result.size);

      // Already-compressed types are stored, the rest deflated.
      const source = await openArchiveSource(out);
      const entries = await listEntries(source);
      await source.close();
      expect(entries.find((e) => e.name.endsWith("photo.jpg"))!.compressionMethod).toBe(0);
      expect(entries.find((e) => e.name.endsWith("video.mp4"))!.compressionMethod).toBe(0);
      expect(entries.find((e) => e.name.endsWith("big.log"))!.compressionMethod).toBe(8);
    }
    expect(sizes[0]).toBeGreaterThan(sizes[2]!);
  });

  it("walks in name order, leaves out what the exclude globs name without entering excluded folders, and follows no link", async () => {
    const root = testRoot("site");
    for (const dir of ["cache/deep", "app/node_modules/pkg", "app/src", ".hidden"]) fs.mkdirSync(path.join(root, dir), { recursive: true });
    for (const file of ["cache/deep/x.bin", "app/node_modules/pkg/i.js", "app/src/main.ts", "app/src/old.tmp", "top.tmp", ".hidden/.env", "b.txt", "a-b.txt"]) {
      fs.writeFileSync(path.join(root, file), file);
    }
    fs.symlinkSync("/etc", path.join(root, "etc-link"));
    const walk = await walkRoots([root], ["cache/**", "*.tmp", "**/node_modules"]);
    const entries: WalkEntry[] = [];
    for await (const entry of walk.entries()) entries.push(entry);
    expect(entries.map((e) => e.entry.slice("files/site/".length))).toEqual([
      ".hidden/",
      ".hidden/.env",
      "a-b.txt",
      "app/",
      "app/src/",
      "app/src/main.ts",
      "app/src/old.tmp",
      "b.txt",
      "etc-link",
    ]);
    expect(entries.find((e) => e.entry.endsWith("etc-link"))).toMatchObject({ type: "symlink", target: Buffer.from("/etc") });
    expect(walk.count).toBe(entries.length);
    expect(walk.totalFileBytes).toBe(["app/src/main.ts", "app/src/old.tmp", ".hidden/.env", "b.txt", "a-b.txt"].join("").length);
  });

  it("writes zip64 end records past 65,535 entries, and unzip and our reader read every entry", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "zip64-")), "many.zip");
    const out = fs.openSync(file, "w");
    const zip = new ZipWriter(async (chunk) => void fs.writeSync(out, chunk));
    const count = 70_000;
    for (let i = 0; i < count; i++) {
      await zip.addPrepared({ name: `e/${i}.txt`, mode: 0o644, mtime: new Date(), kind: "file" }, { method: 0, crc: 0, size: 0, data: Buffer.alloc(0) });
    }
    await zip.finish();
    fs.closeSync(out);
    execFileSync("unzip", ["-tq", file]);
    const source = await openArchiveSource(file);
    const entries = await listEntries(source);
    expect(entries.length).toBe(count);
    expect(entries[count - 1]!.name).toBe(`e/${count - 1}.txt`);
    await source.close();
  });

  it("writes zip64 sizes and offsets past 4 GiB, and unzip and our reader read the entries after it", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "zip64-big-")), "big.zip");
    const out = fs.openSync(file, "w");
    let position = 0;
    const zeros = Buffer.alloc(1024 * 1024);
    // The zeros become a hole in a sparse file: 4 GiB of archive costs no disk.
    const zip = new ZipWriter(async (chunk) => {
      if (chunk !== zeros) fs.writeSync(out, chunk, 0, chunk.length, position);
      position += chunk.length;
    });
    const bigSize = 4 * 1024 * 1024 * 1024 + 3 * zeros.length;
    async function* big() {
      for (let sent = 0; sent < bigSize; sent += zeros.length) yield zeros;
    }
    const meta = (name: string) => ({ name, mode: 0o644, mtime: new Date(), kind: "file" as const });
    expect(await zip.addStream(meta("big.bin"), big(), 0, () => {})).toBe(bigSize);
    const after = Buffer.from("written past 4 GiB\n");
    await zip.addPrepared(meta("after.txt"), { method: 0, crc: crc32(after), size: after.length, data: after });
    await zip.finish();
    fs.ftruncateSync(out, position);
    fs.closeSync(out);
    // Tested by unzip entry by entry: reading the big one back would take longer than writing it.
    execFileSync("unzip", ["-tq", file, "after.txt"]);
    expect(execFileSync("unzip", ["-p", file, "after.txt"]).equals(after)).toBe(true);
    expect(execFileSync("unzip", ["-Z", "-l", file, "big.bin"]).toString()).toContain(String(bigSize));
    const source = await openArchiveSource(file);
    try {
      const [first, second] = await listEntries(source);
      expect(first).toMatchObject({ name: "big.bin", uncompressedSize: bigSize, compressedSize: bigSize });
      expect(second!.localHeaderOffset).toBeGreaterThan(2 ** 32);
      expect((await readWholeEntry(source, second!)).equals(after)).toBe(true);
    } finally {
      await source.close();
    }
  }, 120_000);

  it("takes the compression level from the settings", async () => {
    await resetBackups();
    fs.mkdirSync(testRoot("site"), { recursive: true });
    for (let i = 0; i < 50; i++) fs.writeFileSync(testRoot(`site/t-${i}.txt`), `row ${i} with some text that compresses well ${i % 7}\n`.repeat(2000));
    const sizes: Record<string, number> = {};
    for (const compression of ["fast", "small"] as const) {
      await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", compression });
      const settings = await loadSettings();
      const backup = await runBackup((await enqueueBackup(settings, null)).id, settings);
      expect(backup.status).toBe("completed");
      sizes[compression] = backup.sizeBytes!;
    }
    expect(sizes.fast).toBeGreaterThan(sizes.small!);
  });
});

describe("a tree of many small files on the reader threads", () => {
  it("comes back byte for byte, in walk order, past a full read-ahead queue and a partly filled last batch", async () => {
    fs.rmSync(testRoot("site"), { recursive: true, force: true });
    const files = new Map<string, Buffer>();
    // 2,000 files: many full batches of 64, a queue of 512 filled several times, and a last batch of 16.
    for (let d = 0; d < 40; d++) {
      fs.mkdirSync(testRoot(`site/d${d}`), { recursive: true });
      for (let i = 0; i < 50; i++) {
        const data = Buffer.from(`folder ${d} file ${i}\n`.repeat(1 + ((d * 50 + i) % 97)));
        fs.writeFileSync(testRoot(`site/d${d}/f${i}.txt`), data);
        files.set(`d${d}/f${i}.txt`, data);
      }
    }
    // One file among them too large for the threads: read the ordinary way, between two batches.
    const middle = randomBytes(200 * 1024);
    fs.writeFileSync(testRoot("site/d20/large.bin"), middle);
    files.set("d20/large.bin", middle);
    const { out, result } = await archive(testRoot("site"), 6, (req) => void (req.smallFileThreads = true));
    execFileSync("unzip", ["-tq", out]);
    const dir = unpacked(out);
    for (const [rel, data] of files) expect(fs.readFileSync(path.join(dir, "files/site", rel)).equals(data), rel).toBe(true);
    const manifest = manifestSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")));
    expect(result.fileCount).toBe(files.size);
    const names = manifest.files.map((f) => f.entry);
    expect(names).toEqual([...names].sort());
    for (const f of manifest.files) expect(f.sha256, f.entry).toBe(sha256(files.get(f.entry.slice("files/site/".length))!));
  });
});

describe("files that change under a running backup", () => {
  beforeEach(() => {
    logged.length = 0;
    fs.rmSync(testRoot("site"), { recursive: true, force: true });
    fs.mkdirSync(testRoot("site/sub"), { recursive: true });
    fs.writeFileSync(testRoot("site/keep.txt"), "kept\n");
  });

  async function manifestOf(out: string) {
    const dir = unpacked(out);
    return { dir, manifest: manifestSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"))) };
  }

  it("a file deleted after the walk is a warning, and the rest is archived", async () => {
    fs.writeFileSync(testRoot("site/gone.txt"), "soon gone\n");
    const { out } = await archive(testRoot("site"), 6, () => fs.rmSync(testRoot("site/gone.txt")));
    const { dir, manifest } = await manifestOf(out);
    expect(manifest.warnings.join("\n")).toMatch(/gone\.txt could not be read \(ENOENT\); skipped/);
    expect(logged.join("\n")).toMatch(/gone\.txt/);
    expect(manifest.files.map((f) => f.entry)).toEqual(["files/site/keep.txt"]);
    expect(fs.readFileSync(path.join(dir, "files/site/keep.txt"), "utf8")).toBe("kept\n");
  });

  it("a file replaced by a directory, or by a FIFO, after the walk is skipped with a warning, without hanging", async () => {
    fs.writeFileSync(testRoot("site/becomes-dir.txt"), "x");
    fs.writeFileSync(testRoot("site/becomes-fifo.txt"), "x");
    const { out } = await archive(testRoot("site"), 6, () => {
      fs.rmSync(testRoot("site/becomes-dir.txt"));
      fs.mkdirSync(testRoot("site/becomes-dir.txt"));
      fs.rmSync(testRoot("site/becomes-fifo.txt"));
      execFileSync("mkfifo", [testRoot("site/becomes-fifo.txt")]);
    });
    execFileSync("unzip", ["-tq", out]);
    const { manifest } = await manifestOf(out);
    expect(manifest.warnings.join("\n")).toMatch(/becomes-dir\.txt is no longer a regular file; skipped/);
    expect(manifest.warnings.join("\n")).toMatch(/becomes-fifo\.txt is no longer a regular file; skipped/);
    expect(manifest.files.map((f) => f.entry)).toEqual(["files/site/keep.txt"]);
  });

  it("a FIFO or a socket found by the walk is a warning", async () => {
    execFileSync("mkfifo", [testRoot("site/sub/pipe")]);
    const { out } = await archive(testRoot("site"), 6);
    const { manifest } = await manifestOf(out);
    expect(manifest.warnings.join("\n")).toMatch(/sub\/pipe is a FIFO \(named pipe\), which a backup cannot hold; left out/);
    expect(manifest.files.map((f) => f.entry)).toEqual(["files/site/keep.txt"]);
  });

  it("a file that grows or shrinks while it is read is archived as read, with a warning, and its checksum matches", async () => {
    const big = randomBytes(6 * 1024 * 1024);
    fs.writeFileSync(testRoot("site/growing.log"), big);
    fs.writeFileSync(testRoot("site/shrinking.txt"), "long content\n".repeat(100));
    // Listed as a small file (read by the reader threads), read when it is past what they read whole.
    fs.writeFileSync(testRoot("site/small-then-big.txt"), "small\n");
    const grown = randomBytes(3 * 1024 * 1024);
    const { out } = await archive(testRoot("site"), 1, (req) => {
      req.smallFileThreads = true;
      fs.appendFileSync(testRoot("site/growing.log"), "more\n");
      fs.writeFileSync(testRoot("site/shrinking.txt"), "short\n");
      fs.writeFileSync(testRoot("site/small-then-big.txt"), grown);
    });
    execFileSync("unzip", ["-tq", out]);
    const { dir, manifest } = await manifestOf(out);
    const warnings = manifest.warnings.join("\n");
    expect(warnings).toMatch(/growing\.log changed size while being backed up/);
    expect(warnings).toMatch(/shrinking\.txt changed size while being backed up/);
    for (const f of manifest.files) expect(sha256(fs.readFileSync(path.join(dir, f.entry))), f.entry).toBe(f.sha256);
    expect(fs.readFileSync(path.join(dir, "files/site/shrinking.txt"), "utf8")).toBe("short\n");
    expect(warnings).toMatch(/small-then-big\.txt changed size while being backed up \(6 → 3145728 bytes\)/);
    expect(fs.readFileSync(path.join(dir, "files/site/small-then-big.txt")).equals(grown)).toBe(true);
  });

  it("a symlink loop is archived as links, never followed", async () => {
    fs.symlinkSync("loop-b", testRoot("site/loop-a"));
    fs.symlinkSync("loop-a", testRoot("site/loop-b"));
    fs.symlinkSync(".", testRoot("site/sub/self"));
    const { out } = await archive(testRoot("site"), 6);
    const { manifest } = await manifestOf(out);
    expect(manifest.symlinks.map((l) => l.entry).sort()).toEqual(["files/site/loop-a", "files/site/loop-b", "files/site/sub/self"]);
    expect(manifest.files.map((f) => f.entry)).toEqual(["files/site/keep.txt"]);
  });
});

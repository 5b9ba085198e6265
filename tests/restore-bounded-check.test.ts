import fs from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { verifyAndStage } from "@/lib/backup/restore/extract";
import { ArchiveRejectedError, inspectArchive } from "@/lib/backup/restore/inspect";
import { craftArchive, craftedManifest, digest, type CraftedEntry } from "./helpers/craft-archive";
import { testRoot } from "./helpers/fixtures";
import { snapshotTree } from "./helpers/trees";

/**
 * The archive check reads the central directory and the manifest in turn, keeping hashes instead of every
 * name, and reads them again side by side while it restores. Each archive here is one such a check could
 * be fooled by if it compared counts, or sums, or trusted the order: every one must still be refused, with
 * the sentence that says what is wrong, before anything is written.
 */
const dir = () => testRoot("bounded-check");
const site = [{ label: "site", path: "/srv/site" }];

async function refusal(entries: CraftedEntry[], manifest: unknown): Promise<string> {
  const file = path.join(dir(), "crafted.zip");
  await craftArchive(file, entries, manifest);
  const staging = path.join(dir(), "staging");
  fs.mkdirSync(staging);
  try {
    const archive = await inspectArchive(file);
    try {
      await verifyAndStage(archive, { fileRoots: new Map([["site", staging]]), databaseFile: null, onBytes() {} });
    } finally {
      await archive.close();
    }
  } catch (error) {
    expect(error).toBeInstanceOf(ArchiveRejectedError);
    // Refused before anything was written.
    expect(fs.readdirSync(staging)).toEqual([]);
    return (error as Error).message;
  }
  throw new Error("the archive was accepted");
}

const file = (name: string, data: string): CraftedEntry => ({ name, kind: "file", data });

beforeEach(() => {
  fs.rmSync(dir(), { recursive: true, force: true });
  fs.mkdirSync(dir(), { recursive: true });
});

describe("an archive whose manifest and entries disagree is refused, whatever else balances", () => {
  it("one entry listed twice and another not at all, so that the counts agree", async () => {
    const message = await refusal(
      [file("files/site/a.txt", "a"), file("files/site/b.txt", "b")],
      craftedManifest({
        roots: site,
        files: [
          { entry: "files/site/a.txt", data: "a" },
          { entry: "files/site/a.txt", data: "a" },
        ],
      }),
    );
    expect(message).toMatch(/lists files\/site\/a\.txt twice|lists an entry twice|holds files\/site\/b\.txt, which its manifest does not list/);
  });

  it("an entry twice in the archive, listed once", async () => {
    const message = await refusal(
      [file("files/site/a.txt", "a"), file("files/site/a.txt", "a")],
      craftedManifest({ roots: site, files: [{ entry: "files/site/a.txt", data: "a" }] }),
    );
    expect(message).toBe("The archive holds files/site/a.txt twice");
  });

  it("two sizes swapped between two files, so that the total agrees", async () => {
    const manifest = craftedManifest({
      roots: site,
      files: [
        { entry: "files/site/a.txt", data: "aa" },
        { entry: "files/site/b.txt", data: "bbbb" },
      ],
    });
    const message = await refusal([file("files/site/a.txt", "aaaa"), file("files/site/b.txt", "bb")], manifest);
    expect(message).toBe("files/site/a.txt has a different size than its manifest says");
  });

  it("a link in the archive that the manifest lists as a file of the same name and size", async () => {
    const message = await refusal(
      [{ name: "files/site/a", kind: "symlink", data: "/etc" }],
      craftedManifest({ roots: site, files: [{ entry: "files/site/a", data: "/etc" }] }),
    );
    expect(message).toBe("files/site/a is a link but the manifest says otherwise");
  });

  it("a name in the manifest that is not well-formed text, beside the entry whose name it would become in UTF-8", async () => {
    const message = await refusal([file("files/site/\ufffd", "x")], craftedManifest({ roots: site, files: [{ entry: "files/site/\ud800", data: "x" }] }));
    expect(message).toMatch(/does not list|is missing/);
  });

  it("two records, under different zip names, for one real path", async () => {
    const message = await refusal(
      [file("files/site/a.txt", "one"), file("files/site/%61.txt", "two")],
      craftedManifest({
        roots: site,
        files: [
          { entry: "files/site/a.txt", data: "one" },
          { entry: "files/site/%61.txt", data: "two", raw: Buffer.from("a.txt") },
        ],
      }),
    );
    expect(message).toBe("The manifest lists files/site/%61.txt twice");
  });

  it("a file under a file", async () => {
    const message = await refusal(
      [file("files/site/a", "plain"), file("files/site/a/b.txt", "inside")],
      craftedManifest({
        roots: site,
        files: [
          { entry: "files/site/a", data: "plain" },
          { entry: "files/site/a/b.txt", data: "inside" },
        ],
      }),
    );
    expect(message).toBe('The archive puts "a/b.txt" under the file "a" in site');
  });

  it("a file two folders under a link, the folder between them listed nowhere", async () => {
    const message = await refusal(
      [{ name: "files/site/door", kind: "symlink", data: "/tmp" }, file("files/site/door/x/y.txt", "through")],
      craftedManifest({
        roots: site,
        symlinks: [{ entry: "files/site/door", target: "/tmp" }],
        files: [{ entry: "files/site/door/x/y.txt", data: "through" }],
      }),
    );
    expect(message).toBe('The archive puts "door/x/y.txt" under the link "door" in site');
  });

  it("a record in a root the manifest does not name", async () => {
    const message = await refusal([file("files/other/a.txt", "a")], craftedManifest({ roots: site, files: [{ entry: "files/other/a.txt", data: "a" }] }));
    expect(message).toBe("Unsafe path in the archive: files/other/a.txt");
  });
});

describe("archives in another order than the manifest's", () => {
  it("are read all the same, every byte in its place", async () => {
    const files = Array.from({ length: 300 }, (_, i) => ({ entry: `files/site/d${i % 7}/f${i}.txt`, data: `file ${i}\n`.repeat(i % 40) }));
    const directories = Array.from({ length: 7 }, (_, d) => `files/site/d${d}/`);
    const manifest = craftedManifest({ roots: site, files, directories });
    // Reversed, and the folders last: a manifest in one order, entries in another.
    const entries: CraftedEntry[] = [
      ...files.map((f) => file(f.entry, f.data)).reverse(),
      ...directories.map((name) => ({ name, kind: "directory" as const })),
    ];
    const archiveFile = path.join(dir(), "reordered.zip");
    await craftArchive(archiveFile, entries, manifest);
    const staging = path.join(dir(), "staging");
    fs.mkdirSync(staging);
    const archive = await inspectArchive(archiveFile);
    try {
      await verifyAndStage(archive, { fileRoots: new Map([["site", staging]]), databaseFile: null, onBytes() {} });
    } finally {
      await archive.close();
    }
    const restored = snapshotTree(staging);
    // The files and their 7 folders.
    expect(Object.keys(restored).length).toBe(307);
    for (const f of files) expect(digest(fs.readFileSync(path.join(staging, f.entry.slice("files/site/".length))))).toBe(digest(f.data));
  });
});

describe("an archive changed between its check and its restore", () => {
  /** A sound archive in our writer's order, its manifest stored (not deflated) so that its bytes can be changed in place below. */
  async function soundArchive(): Promise<string> {
    const files = Array.from({ length: 200 }, (_, i) => ({ entry: `files/site/d${i % 5}/file-${i}.txt`, data: `content ${i}\n` }));
    // One name kept as its real bytes, as for a name that is not UTF-8.
    Object.assign(files[99]!, { raw: Buffer.from("d4/file-99.txt") });
    const directories = Array.from({ length: 5 }, (_, d) => `files/site/d${d}/`);
    const out = path.join(dir(), "site.zip");
    const entries: CraftedEntry[] = [...directories.map((name) => ({ name, kind: "directory" as const })), ...files.map((f) => file(f.entry, f.data))];
    await craftArchive(out, entries, craftedManifest({ roots: site, files, directories }));
    return out;
  }

  /** Replaces `from` by `to` (of the same length) in the archive's bytes, where the manifest holds it. */
  function rewrite(archive: string, from: string, to: string): void {
    const bytes = fs.readFileSync(archive);
    const at = bytes.lastIndexOf(Buffer.from(from));
    expect(at).toBeGreaterThan(0);
    Buffer.from(to).copy(bytes, at);
    const handle = fs.openSync(archive, "r+");
    fs.writeSync(handle, bytes, 0, bytes.length, 0);
    fs.closeSync(handle);
  }

  for (const [what, from, to] of [
    ["a record's real name now climbing out of its root", '"ZDQvZmlsZS05OS50eHQ="', '"Li4vLi4vLi4vZS94eXo="'],
    ["a record now naming an entry the archive does not hold", '"files/site/d4/file-99.txt"', '"files/site/d4/file-XX.txt"'],
  ] as const) {
    it(`fails the restore rather than following the new manifest: ${what}`, async () => {
      const archiveFile = await soundArchive();
      const staging = path.join(dir(), "staging");
      fs.mkdirSync(staging);
      const archive = await inspectArchive(archiveFile);
      try {
        rewrite(archiveFile, from, to);
        await expect(verifyAndStage(archive, { fileRoots: new Map([["site", staging]]), databaseFile: null, onBytes() {} })).rejects.toThrow(
          /The archive changed while it was being read/,
        );
      } finally {
        await archive.close();
      }
      expect(fs.existsSync(path.resolve(staging, "../../../e/xyz"))).toBe(false);
    });
  }
});

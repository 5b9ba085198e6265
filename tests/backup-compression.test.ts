import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { loadSettings, type Settings } from "@/lib/settings";
import { configure, resetBackups, testRoot } from "./helpers/fixtures";

/** Method and compressed size of each entry, as `unzip -v` lists them. */
function entries(archive: string): Map<string, { method: string; compressed: number }> {
  const out = execFileSync("unzip", ["-v", archive], { encoding: "utf8" });
  const map = new Map<string, { method: string; compressed: number }>();
  for (const line of out.split("\n")) {
    const m = /^\s*\d+\s+(\S+)\s+(\d+)\s+\S+\s+\S+\s+\S+\s+\S+\s+(.+)$/.exec(line);
    if (m) map.set(m[3]!.trim(), { method: m[1]!, compressed: Number(m[2]) });
  }
  return map;
}

async function backUpWith(compression: Settings["compression"]) {
  await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", compression });
  const settings = await loadSettings();
  const backup = await runBackup((await enqueueBackup(settings, null)).id, settings);
  expect(backup.status).toBe("completed");
  const archive = testRoot("var/backup", backup.fileName);
  execFileSync("unzip", ["-tq", archive]);
  return entries(archive);
}

describe("the compression setting", () => {
  beforeEach(async () => {
    await resetBackups();
    fs.rmSync(testRoot("site"), { recursive: true, force: true });
    fs.mkdirSync(testRoot("site"), { recursive: true });
    // Text with some entropy, where zlib's levels differ visibly.
    const words = Array.from({ length: 400 }, (_, i) => `w${i}${randomBytes(2).toString("hex")}`);
    const text = Array.from({ length: 60_000 }, (_, i) => words[(i * 7919 + (i >> 3)) % words.length]).join(" ");
    fs.writeFileSync(testRoot("site/app.log"), text);
    fs.writeFileSync(testRoot("site/photo.JPG"), randomBytes(300_000));
  });

  it("defaults to balanced, and fast makes bigger entries than small; photos are stored as they are", async () => {
    expect((await loadSettings()).compression).toBe("balanced");
    const fast = await backUpWith("fast");
    const small = await backUpWith("small");
    const log = "files/site/app.log";
    // Our zip writer does not set the level hint bits, so the sizes tell the levels apart.
    for (const listing of [fast, small]) expect(listing.get(log)!.method).toMatch(/^Defl/);
    expect(fast.get(log)!.compressed).toBeGreaterThan(small.get(log)!.compressed);
    for (const listing of [fast, small]) expect(listing.get("files/site/photo.JPG")!.method).toBe("Stored");
  });
});

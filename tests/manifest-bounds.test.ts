import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { enqueueRestore } from "@/lib/backup/jobs/queue";
import { runRestore } from "@/lib/backup/restore/run-restore";
import { loadSettings } from "@/lib/settings";
import { craftArchive, craftedManifest } from "./helpers/craft-archive";
import { configure, resetBackups, testRoot } from "./helpers/fixtures";
import { snapshotTree } from "./helpers/trees";

const cli = (args: string[]) => spawnSync(process.execPath, [process.env.SAFEKEEP_CLI!, ...args], { encoding: "utf8", env: process.env });

const files = [
  { entry: "files/site/a.txt", data: "a" },
  { entry: "files/site/b.txt", data: "b" },
];
const entries = files.map((f) => ({ name: f.entry, kind: "file" as const, data: f.data }));

/**
 * A manifest is read a record at a time and never held whole (2,000,000 files make one of 430 MB), so what
 * bounds the memory a crafted one can take is what is held meanwhile: no more records than the archive
 * has entries, no record over 1 MiB, no more than 64 MiB besides the lists. Each is refused with a
 * sentence, by `backup:verify` and by a restore, which then changes nothing.
 */
describe("a manifest that would take unbounded memory to read", () => {
  beforeEach(async () => {
    await resetBackups();
    fs.rmSync(testRoot("site"), { recursive: true, force: true });
    fs.mkdirSync(testRoot("site"), { recursive: true });
    fs.writeFileSync(testRoot("site/index.html"), "live site");
    fs.mkdirSync(testRoot("var/backup"), { recursive: true });
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
  });

  async function expectRefused(name: string, manifest: unknown, message: RegExp) {
    await craftArchive(testRoot("var/backup", name), entries, manifest, { deflateManifest: true });
    const site = snapshotTree(testRoot("site"));
    const verified = cli(["backup:verify", testRoot("var/backup", name)]);
    expect(verified.status).toBe(1);
    expect(verified.stderr).toMatch(message);
    const settings = await loadSettings();
    const job = await runRestore((await enqueueRestore(settings, null, name, "files")).id, { safetyBackup: false }, settings);
    expect(job.status).toBe("failed");
    expect(job.error).toMatch(message);
    expect(snapshotTree(testRoot("site"))).toEqual(site);
  }

  it("refuses more records than the archive has entries (100,000 listed, 3 held)", async () => {
    const manifest = craftedManifest({ roots: [{ label: "site", path: "/srv/site" }], files });
    const [first] = manifest.files;
    for (let i = 0; i < 100_000; i++) manifest.files.push({ ...first!, entry: `files/site/listed-${i}.txt` });
    await expectRefused("too-many-records.zip", manifest, /manifest\.json is refused: it lists more entries than the archive's 3/);
  });

  it("refuses a record over 1 MiB", async () => {
    const manifest = craftedManifest({ roots: [{ label: "site", path: "/srv/site" }], files });
    manifest.files[1] = { ...manifest.files[1]!, entry: `files/site/${"n".repeat(1536 * 1024)}` };
    await expectRefused("long-record.zip", manifest, /manifest\.json is refused: it has a record larger than 1 MiB/);
  });

  it("refuses more than 64 MiB besides the lists of entries", async () => {
    const manifest = craftedManifest({ roots: [{ label: "site", path: "/srv/site" }], files });
    const warning = "w".repeat(1024 * 1024);
    manifest.warnings = Array.from({ length: 65 }, () => warning) as never;
    await expectRefused("long-skeleton.zip", manifest, /manifest\.json is refused: its fields besides the lists of entries take more than 64 MiB/);
  });

  it("still reads one within the bounds: 60 MiB of warnings", async () => {
    const manifest = craftedManifest({ roots: [{ label: "site", path: "/srv/site" }], files });
    manifest.warnings = Array.from({ length: 60 }, () => "w".repeat(1024 * 1024)) as never;
    await craftArchive(testRoot("var/backup", "within.zip"), entries, manifest, { deflateManifest: true });
    const verified = cli(["backup:verify", testRoot("var/backup", "within.zip")]);
    expect(verified.stderr).toBe("");
    expect(verified.status).toBe(0);
  });
});

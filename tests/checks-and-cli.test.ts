import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runChecks } from "@/lib/backup/jobs/checks";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { loadSettings } from "@/lib/settings";
import { configure, makeFileTree, resetBackups, testRoot } from "./helpers/fixtures";
import { createMariaDb, type TestDatabase } from "./helpers/databases";
import { snapshotTree } from "./helpers/trees";

const cli = (args: string[], input?: string) =>
  spawnSync(process.execPath, [process.env.SAFEKEEP_CLI!, ...args], { encoding: "utf8", input, env: process.env });

describe("the settings page's checks", () => {
  let db: TestDatabase;
  beforeAll(() => (db = createMariaDb()));
  afterAll(() => db?.drop());
  beforeEach(() => resetBackups());

  it("pass with a working set-up, naming versions", async () => {
    fs.mkdirSync(testRoot("site"), { recursive: true });
    await configure({ databaseUrl: db.url, fileRoots: ["site"], backupDir: "var/backup", runtimeBinary: process.execPath });
    const checks = await runChecks(await loadSettings());
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.find((c) => c.name === "mysqldump")?.detail).toMatch(/Ver .*MariaDB/);
    expect(checks.find((c) => c.name === "Database")?.detail).toMatch(/MariaDB\/MySQL 10\.11/);
    expect(JSON.stringify(checks)).not.toContain(db.password);
  });

  it("say what is wrong: missing program, unreachable server, missing folder", async () => {
    const url = new URL(db.url);
    url.port = "1";
    await configure({ databaseUrl: url.toString(), fileRoots: ["no-such-folder"], backupDir: "var/backup", mysqldumpPath: "/nope/mysqldump" });
    const failed = Object.fromEntries((await runChecks(await loadSettings())).filter((c) => !c.ok).map((c) => [c.name, c.detail]));
    expect(failed.mysqldump).toMatch(/"\/nope\/mysqldump" was not found/);
    expect(failed.Database).toBeDefined();
    expect(failed["File root no-such-folder"]).toMatch(/no-such-folder/);
  });
});

describe("the command line", () => {
  let archive: string;
  beforeAll(async () => {
    await resetBackups();
    makeFileTree(testRoot("cli-site"));
    await configure({ databaseUrl: "", fileRoots: ["cli-site"], backupDir: "var/backup" });
    const settings = await loadSettings();
    const done = await runBackup((await enqueueBackup(settings, null)).id, settings);
    archive = testRoot("var/backup", done.fileName);
  });

  it("backup:verify says what a sound archive holds and refuses a damaged one", () => {
    const ok = cli(["backup:verify", archive]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/OK: every entry matches its manifest/);
    expect(ok.stdout).toMatch(/Files: cli-site .*: 6 files/);

    const broken = testRoot("broken.zip");
    const bytes = fs.readFileSync(archive);
    const at = bytes.indexOf(Buffer.from("uploads/2026/11/photo.jpg")) + 100_000;
    bytes[at]! ^= 0xff;
    fs.writeFileSync(broken, bytes);
    const bad = cli(["backup:verify", broken]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/REFUSED: .*damaged/);
  });

  it("backup:restore needs --yes without a terminal, and restores from a path with it", () => {
    const before = snapshotTree(testRoot("cli-site"));
    fs.writeFileSync(testRoot("cli-site/index.html"), "changed");
    const copy = testRoot("elsewhere.zip");
    fs.copyFileSync(archive, copy);

    const unconfirmed = cli(["backup:restore", copy, "--only", "files"], "");
    expect(unconfirmed.status).toBe(4);
    expect(unconfirmed.stderr).toMatch(/add --yes/);
    expect(fs.readFileSync(testRoot("cli-site/index.html"), "utf8")).toBe("changed");

    const done = cli(["backup:restore", copy, "--only", "files", "--yes"]);
    expect(done.stderr).toBe("");
    expect(done.status).toBe(0);
    expect(done.stdout).toMatch(/Restore completed\. The state before it is in .*-safety-/);
    expect(snapshotTree(testRoot("cli-site"))).toEqual(before);
    execFileSync("unzip", ["-tq", archive]);
  });
});

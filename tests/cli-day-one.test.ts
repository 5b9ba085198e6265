import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { statusLabel } from "@/lib/backup/jobs/status";
import { loadSettings } from "@/lib/settings";
import { configure, freshSite, makeFileTree, makeSqliteDatabase, testRoot } from "./helpers/fixtures";
import { createPostgresDb, type TestDatabase } from "./helpers/databases";

// The command line as a person meets it: progress while it works (a bar on a terminal, plain lines in a
// pipe), where the data comes from, warnings and exit codes, names as backup:list prints them.
const cliPath = () => process.env.SAFEKEEP_CLI!;
const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [cliPath(), ...args], { encoding: "utf8", env: { ...process.env, ...env }, cwd: testRoot() });

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** Runs the CLI on a real pseudo-terminal (util-linux `script`), as a person at a terminal would. */
const onTerminal = (args: string[]) =>
  spawnSync("script", ["-qec", [process.execPath, cliPath(), ...args].map(quote).join(" "), "/dev/null"], {
    encoding: "utf8",
    env: { ...process.env, COLUMNS: "100" },
    cwd: testRoot(),
  });

const ESC = "\x1b[";

describe("backup:create on the command line", () => {
  beforeEach(async () => {
    await freshSite();
    makeFileTree(testRoot("site"), { bigFiles: 30, bigFileBytes: 2_000_000 });
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
  });

  it("off a terminal: plain lines for each phase, where the data comes from, and a missing folder is a warning with exit code 2", async () => {
    const run = cli(["backup:create", "--files", "site,no-such-folder"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(2);
    expect(run.stdout).not.toContain(ESC);
    expect(run.stdout).not.toContain("\r");
    expect(run.stdout).toMatch(/^Database: the portal's own database \(.*portal\.db\) \(saved in the portal's settings|the default/m);
    expect(run.stdout).toContain(`Folders:  ${testRoot("site")}, ${testRoot("no-such-folder")} (from --files, for this run only)`);
    // One line per phase (and one every 10 s): the phases a backup of this size goes through.
    expect(run.stdout).toMatch(/^\d\d:\d\d:\d\d archiving: \d+%, [\d.]+ (B|KB|MB) of [\d.]+ MB/m);
    expect(run.stdout).toMatch(/^\d\d:\d\d:\d\d checking the archive: \d+%/m);
    expect(run.stdout).toMatch(/^\d\d:\d\d:\d\d scanning the folders\n/m);
    expect(run.stdout).toMatch(/^Completed with 1 warning: safekeep-.*\.zip/m);
    expect(run.stdout).toContain(`Warning: File root ${testRoot("no-such-folder")} does not exist or is not a directory; skipped`);
    const job = await prisma.backup.findFirstOrThrow({ where: { kind: "backup" } });
    expect(job.warningCount).toBe(1);
    expect(statusLabel(job)).toBe("completed with warnings");
    // A one-off: nothing was saved.
    expect((await loadSettings()).fileRoots).toEqual(["site"]);
  });

  it("on a terminal: a progress bar with phase, bytes, rate and time left, redrawn in place; exit code 0 when clean", () => {
    // Enough to archive for a few seconds even on a quiet machine: the rate needs a second of samples.
    for (let i = 0; i < 60; i++) fs.writeFileSync(testRoot(`site/more-${i}.bin`), randomBytes(2_000_000));
    const run = onTerminal(["backup:create"]);
    expect(run.status).toBe(0);
    const out = run.stdout;
    expect(out).toContain(`\r${ESC}2K`);
    const frames = out.split(`\r${ESC}2K`).map((f) => f.trim());
    expect(
      frames.some((f) => /^archiving\s+\[#*-*\]\s+\d+%\s+[\d.]+ (B|KB|MB) \/ [\d.]+ MB\s+[\d.]+ (KB|MB)\/s\s+\d+:\d\d left$/.test(f)),
      frames.join("\n"),
    ).toBe(true);
    expect(frames.some((f) => /^checking the archive\s+\[/.test(f))).toBe(true);
    expect(out).toMatch(/Completed: safekeep-.*\.zip, [\d.]+ MB in [\d.]+ s/);
  });

  it("backup:restore shows its progress too: a bar on a terminal, plain lines in a pipe", () => {
    expect(cli(["backup:create"]).status).toBe(0);
    const name = cli(["backup:list"]).stdout.trim().split(/\s+/).at(-1)!;
    const terminal = onTerminal(["backup:restore", name, "--only", "files", "--yes", "--no-safety-backup"]);
    expect(terminal.status).toBe(0);
    const frames = terminal.stdout.split(`\r${ESC}2K`).map((f) => f.trim());
    // A restore's bytes flow while it checks the archive and stages it; swapping the folders in is renames.
    expect(
      frames.some((f) => /^checking the archive\s+\[#*-*\]\s+\d+%/.test(f)),
      frames.join("\n"),
    ).toBe(true);
    expect(terminal.stdout).toMatch(/Restore completed\./);

    const piped = cli(["backup:restore", name, "--only", "files", "--yes", "--no-safety-backup"]);
    expect(piped.status).toBe(0);
    expect(piped.stdout).not.toContain(ESC);
    expect(piped.stdout).toMatch(/^\d\d:\d\d:\d\d checking the archive/m);
  });

  it("--json stays one JSON object, with the warnings", () => {
    const run = cli(["backup:create", "--json", "--files", "site", "--files", "gone"]);
    expect(run.status).toBe(2);
    const lines = run.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0]!);
    expect(summary).toMatchObject({ status: "completed", warningCount: 1 });
    expect(summary.warnings[0]).toMatch(/gone does not exist/);
  });
});

describe("environment variables keep counting after a save", () => {
  let pg: TestDatabase;
  beforeAll(() => (pg = createPostgresDb()));
  afterAll(() => pg?.drop());
  beforeEach(async () => {
    await freshSite();
    makeFileTree(testRoot("site"));
  });

  it("a save stores only what differs from the environment, so a later BACKUP_DATABASE_URL is the one backed up", async () => {
    makeSqliteDatabase(testRoot("site-a.db"), 10);
    makeSqliteDatabase(testRoot("site-b.db"), 10);
    process.env.BACKUP_DATABASE_URL = "file:site-a.db";
    process.env.BACKUP_FILE_ROOTS = "site";
    try {
      // The settings page posts every field; the admin changed only the module switch and the name.
      const { updateSettings } = await import("@/lib/backup/requests/settings");
      const { settingSources } = await import("@/lib/settings-origin");
      const current = await loadSettings();
      await updateSettings({ ...current, enableBackupModule: true, backupName: "nightly" }, { actor: null, settings: current } as never);
      const stored = (await prisma.setting.findMany({ where: { NOT: { key: { contains: ":" } } } })).map((r) => r.key).sort();
      expect(stored).toEqual(["backupName", "enableBackupModule"]);
      const sources = await settingSources();
      expect(sources.databaseUrl).toEqual({ source: "environment", variable: "BACKUP_DATABASE_URL" });
      expect(sources.backupName).toEqual({ source: "saved" });
      expect(sources.maxBackups).toEqual({ source: "default" });

      const run = cli(["backup:create"], { BACKUP_DATABASE_URL: "file:site-b.db" });
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
      expect(run.stdout).toContain(`Database: file:site-b.db (from the environment: BACKUP_DATABASE_URL)`);
      const job = await prisma.backup.findFirstOrThrow({ where: { kind: "backup" }, orderBy: { id: "desc" } });
      expect(job.fileName).toMatch(/^nightly-/);
      const verify = cli(["backup:verify", job.fileName]);
      expect(verify.stdout).toMatch(/Database: sqlite site-b\.db/);
    } finally {
      delete process.env.BACKUP_DATABASE_URL;
      delete process.env.BACKUP_FILE_ROOTS;
    }
  });

  it("--database-url is for one run, says which database without its password, and warns that ps shows it", async () => {
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    const run = cli(["backup:create", "--database-url", pg.url, "--exclude", "deep/**,*.jpg"]);
    expect(run.status).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(encodeURIComponent(pg.password));
    expect(run.stdout + run.stderr).not.toContain(pg.password);
    expect(run.stdout).toContain(`Database: postgres://${pg.user}:********@127.0.0.1:5432/${pg.name} (from --database-url, for this run only)`);
    expect(run.stdout).toContain("Excluding: deep/**, *.jpg (from --exclude, for this run only)");
    expect(run.stderr).toMatch(/visible to other users of this machine \(ps\)/);
    expect((await loadSettings()).databaseUrl).toBe("");

    const bad = cli(["backup:create", "--database-url", "ftp://nope"]);
    expect(bad.status).toBe(64);
    expect(bad.stderr).toMatch(/--database-url: Use file:, mysql:\/\//);
  });
});

describe("names, missing files and the scheduler's report", () => {
  beforeEach(async () => {
    await freshSite();
    makeFileTree(testRoot("site"));
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", scheduleDaily: "0 0 * * *", scheduleWeekly: "" });
    await prisma.setting.deleteMany({ where: { key: { startsWith: "schedule" } } });
  });

  it("backup:verify takes a name as backup:list prints it, and says no such file for a missing one", () => {
    expect(cli(["backup:create"]).status).toBe(0);
    const name = cli(["backup:list"]).stdout.trim().split(/\s+/).at(-1)!;
    expect(name).toMatch(/^safekeep-.*\.zip$/);
    const ok = cli(["backup:verify", name]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^OK: every entry matches its manifest/);
    const missing = cli(["backup:verify", "safekeep-20200101-000000-9.zip"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no such file: safekeep-20200101-000000-9\.zip \(not in .*, nor in the backup directory .*var\/backup\)/);
    expect(cli(["backup:verify", "some/where/missing.zip"]).stderr).toMatch(/no such file: .*some\/where\/missing\.zip/);
  });

  it("schedule --once says what it did: nothing due, ran, or skipped because busy", async () => {
    const first = cli(["schedule:run", "--once"]);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/nothing due; next backup \d{4}-\d\d-\d\d 00:00 UTC/);

    await prisma.setting.update({ where: { key: "scheduleState:daily" }, data: { value: JSON.stringify("2020-01-01T12:00:00.000Z") } });
    const ran = cli(["schedule:run", "--once"]);
    expect(ran.stdout).toMatch(/daily backup for 2020-01-02T00:00:00\.000Z: ran, completed \(safekeep-.*\.zip\)/);
    expect(ran.status).toBe(0);

    await prisma.setting.update({ where: { key: "scheduleState:daily" }, data: { value: JSON.stringify("2020-01-01T12:00:00.000Z") } });
    const holder = await enqueueBackup(await loadSettings(), null);
    const busy = cli(["schedule:run", "--once"]);
    expect(busy.stdout).toMatch(/daily backup for .*: skipped because another job was running/);
    await prisma.backup.delete({ where: { id: holder.id } });

    await configure({ enableBackupModule: false });
    expect(cli(["schedule:run", "--once"]).stdout).toMatch(/nothing ran: the backup module is off/);
  });
});

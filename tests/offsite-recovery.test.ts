import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { runJob } from "@/lib/backup/jobs/run-job";
import { saveDestination } from "@/lib/offsite/destinations";
import { loadSettings } from "@/lib/settings";
import { configure, freshSite, makeFileTree, makeSqliteDatabase, testRoot } from "./helpers/fixtures";
import { startS3, type TestS3 } from "./helpers/s3";
import { snapshotTree } from "./helpers/trees";

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3(["backups"]);
});
afterAll(async () => {
  await s3?.close();
});

const countPosts = (file: string) => {
  const db = new Database(file, { readonly: true });
  const n = (db.prepare("SELECT count(*) AS n FROM posts").get() as { n: number }).n;
  db.close();
  return n;
};

/**
 * The CLI as a fresh install runs it: only the destination's and the site's settings in its environment.
 * Asynchronous: the S3 server runs in this process and must keep answering while the CLI waits on it.
 */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    BACKUP_S3_BUCKET: "backups",
    BACKUP_S3_PREFIX: "prod/",
    BACKUP_S3_FORCE_PATH_STYLE: "true",
    BACKUP_DATABASE_URL: "file:db/app.db",
    BACKUP_FILE_ROOTS: "site",
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [process.env.SAFEKEEP_CLI!, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("disaster recovery from the bucket alone", () => {
  it("after the site, its database, the local archives and the portal's database are lost, backup:restore s3://… brings the site back", async () => {
    await freshSite();
    fs.rmSync(testRoot("db"), { recursive: true, force: true });
    makeFileTree(testRoot("site"), { bigFiles: 1, bigFileBytes: 12_000_000 });
    makeSqliteDatabase(testRoot("db/app.db"), 2000);
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", backupDir: "var/backup" });
    await saveDestination(s3.destination({ id: "main", prefix: "prod/" }));
    const settings = await loadSettings();
    const older = await runJob((await enqueueBackup(settings, null)).id, { settings });
    fs.writeFileSync(testRoot("site/index.html"), "the newest version");
    const backup = await runJob((await enqueueBackup(settings, null)).id, { settings });
    expect([older.status, backup.status]).toEqual(["completed", "completed"]);
    expect(JSON.parse(backup.steps!).find((s: { name: string }) => s.name === "offsite").state).toBe("done");
    const site = snapshotTree(testRoot("site"));

    // The disk dies: the site, its database, every archive and the portal's own database are gone.
    for (const dir of ["site", "db", "var"]) fs.rmSync(testRoot(dir), { recursive: true, force: true });
    const portalDb = process.env.DATABASE_URL!.replace(/^file:/, "");
    for (const f of [portalDb, `${portalDb}-wal`, `${portalDb}-shm`]) fs.rmSync(f, { force: true });
    // A fresh install: an empty portal database, nothing else.
    spawnSync(process.execPath, [path.join(process.cwd(), "scripts/prepare-db.mjs")], { env: process.env });
    // The site's code is deployed again (its empty database folder with it): the data comes from the bucket.
    fs.mkdirSync(testRoot("db"));

    const listed = await cli(["backup:list", "--remote"]);
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`s3://backups/prod/${backup.fileName}`);
    expect(listed.stdout).toContain(`s3://backups/prod/${older.fileName}`);

    const restored = await cli(["backup:restore", `s3://backups/prod/${backup.fileName}`, "--yes", "--no-safety-backup"]);
    expect(restored.status, restored.stdout + restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/SHA-256 checked/);
    expect(restored.stdout).not.toContain("S3RVER");
    expect(snapshotTree(testRoot("site"))).toEqual(site);
    expect(countPosts(testRoot("db/app.db"))).toBe(2000);

    // --latest picks the newest backup in the bucket by the time in its name.
    fs.rmSync(testRoot("site"), { recursive: true, force: true });
    fs.rmSync(testRoot("var/backup"), { recursive: true, force: true });
    const latest = await cli(["backup:restore", "--latest", "--yes", "--no-safety-backup"]);
    expect(latest.status, latest.stdout + latest.stderr).toBe(0);
    expect(latest.stdout).toContain(backup.fileName);
    expect(fs.readFileSync(testRoot("site/index.html"), "utf8")).toBe("the newest version");
  });

  it("a copy damaged in the bucket is refused before anything is touched", async () => {
    const remote = await cli(["backup:list", "--remote", "--json"]);
    const newest = (JSON.parse(remote.stdout) as { fileName: string }[])[0]!;
    const stored = path.join(s3.dir, "backups", "prod", `${newest.fileName}._S3rver_object`);
    const bytes = fs.readFileSync(stored);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    fs.writeFileSync(stored, bytes);
    fs.rmSync(testRoot("var/backup"), { recursive: true, force: true });
    fs.writeFileSync(testRoot("site/index.html"), "changed after the loss");
    const before = snapshotTree(testRoot("site"));
    const refused = await cli(["backup:restore", `s3://backups/prod/${newest.fileName}`, "--yes", "--no-safety-backup"]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/is damaged: its SHA-256 is [0-9a-f]{64}, not the [0-9a-f]{64} stored with it\. Nothing was restored/);
    expect(snapshotTree(testRoot("site"))).toEqual(before);
    expect(fs.readdirSync(testRoot("var/backup")).filter((f) => !f.startsWith("."))).toEqual([]);
  });
});

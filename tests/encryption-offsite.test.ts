import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
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
  s3 = await startS3(["sealed"]);
});
afterAll(async () => {
  await s3?.close();
});

/** A fresh install's CLI: the destination and the site in its environment, nothing else (async: s3rver runs here). */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    BACKUP_S3_BUCKET: "sealed",
    BACKUP_S3_PREFIX: "site/",
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

describe("encrypted offsite copies", () => {
  it("an encrypted backup goes offsite as is, and the site comes back from the bucket and a key file alone, not without the key", async () => {
    await freshSite();
    fs.rmSync(testRoot("db"), { recursive: true, force: true });
    makeFileTree(testRoot("site"), { bigFiles: 1, bigFileBytes: 8_000_000 });
    makeSqliteDatabase(testRoot("db/app.db"), 700);
    const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), "safekeep-key-"));
    const keyFile = path.join(keyDir, "key.txt");
    execFileSync("age-keygen", ["-o", keyFile], { stdio: "ignore" });
    const recipient = /public key: (age1[0-9a-z]+)/.exec(fs.readFileSync(keyFile, "utf8"))![1]!;
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", encryption: "recipients", encryptionRecipients: [recipient] });
    await saveDestination(s3.destination({ id: "sealed", prefix: "site/" }));
    const settings = await loadSettings();
    const backup = await runJob((await enqueueBackup(settings, null)).id, { settings });
    expect(backup.status).toBe("completed");
    expect(backup.fileName).toMatch(/\.zip\.age$/);
    expect(JSON.parse(backup.steps!).find((s: { name: string }) => s.name === "offsite").state).toBe("done");
    const site = snapshotTree(testRoot("site"));

    // The disk dies; a fresh install has the bucket's settings and the owner's key file.
    for (const dir of ["site", "db", "var"]) fs.rmSync(testRoot(dir), { recursive: true, force: true });
    const portalDb = process.env.DATABASE_URL!.replace(/^file:/, "");
    for (const f of [portalDb, `${portalDb}-wal`, `${portalDb}-shm`]) fs.rmSync(f, { force: true });
    spawnSync(process.execPath, [path.join(process.cwd(), "scripts/prepare-db.mjs")], { env: process.env });
    fs.mkdirSync(testRoot("db"));

    const listed = await cli(["backup:list", "--remote"]);
    expect(listed.stdout).toContain(`s3://sealed/site/${backup.fileName}`);
    const withoutKey = await cli(["backup:restore", `s3://sealed/site/${backup.fileName}`, "--yes", "--no-safety-backup"]);
    expect(withoutKey.status).toBe(1);
    expect(withoutKey.stderr).toMatch(/encrypted/);
    expect(fs.existsSync(testRoot("site"))).toBe(false);

    const restored = await cli(["backup:restore", `s3://sealed/site/${backup.fileName}`, "--yes", "--no-safety-backup", "--identity", keyFile]);
    expect(restored.status, restored.stdout + restored.stderr).toBe(0);
    expect(snapshotTree(testRoot("site"))).toEqual(site);
  });
});

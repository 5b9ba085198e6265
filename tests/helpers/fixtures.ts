import { createHash, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { projectRoot } from "@/lib/config";
import { prisma } from "@/lib/db";
import { saveSettings, type Settings } from "@/lib/settings";
import { createUser } from "@/lib/users";

export const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** A site's files: nested folders, an empty folder, unicode and spaces in names, text and binary. */
export function makeFileTree(root: string, opts: { bigFiles?: number; bigFileBytes?: number } = {}): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const put = (rel: string, data: Buffer) => {
    const abs = path.join(root, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, data);
    files.set(rel, data);
  };
  put("index.html", Buffer.from("<h1>hello</h1>\n".repeat(200)));
  put("uploads/2026/11/photo.jpg", randomBytes(200_000));
  put("uploads/2026/11/Ünïcødé name with spaces.txt", Buffer.from("grüße 🌍\n"));
  put("deep/a/b/c/d/e/notes.md", Buffer.from("# notes\n".repeat(1000)));
  put(".hidden/config.json", Buffer.from('{"a":1}'));
  put("empty-file.txt", Buffer.alloc(0));
  for (let i = 0; i < (opts.bigFiles ?? 0); i++) put(`big/blob-${i}.bin`, randomBytes(opts.bigFileBytes ?? 1_000_000));
  fs.mkdirSync(path.join(root, "empty-dir/nested-empty"), { recursive: true });
  return files;
}

/** A SQLite database with real rows, standing in for the site's database. */
export function makeSqliteDatabase(file: string, rows = 5000): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT, body BLOB)");
  const insert = db.prepare("INSERT INTO posts (title, body) VALUES (?, ?)");
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(`post ${i} ✓`, randomBytes(64));
  })();
  db.close();
}

export async function configure(overrides: Partial<Settings>): Promise<void> {
  await saveSettings({ enableBackupModule: true, ...overrides });
}

/** A worker of ours: a background job's process (its command line names the job command). */
function isOurWorker(pid: number): boolean {
  try {
    return /\b(backup:run|restore:run|job:run)\b/.test(fs.readFileSync(`/proc/${pid}/cmdline`, "latin1"));
  } catch {
    return false;
  }
}

/**
 * Background workers a test started may still run their post-job steps (retention, mail, the log's last
 * lines) after the job's status says it ended; removing the backup folder under them races their writes.
 * Wait for them to exit, and stop any that outlive the wait.
 */
async function settleWorkers(): Promise<void> {
  const rows = await prisma.backup.findMany({ where: { pid: { not: null } }, select: { pid: true } });
  const pids = [...new Set(rows.map((r) => r.pid!))].filter((pid) => pid !== process.pid && isOurWorker(pid));
  const deadline = Date.now() + 30_000;
  for (const pid of pids) {
    while (isOurWorker(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (isOurWorker(pid)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Ended meanwhile.
      }
    }
  }
}

export async function resetBackups(): Promise<void> {
  await settleWorkers();
  await prisma.backup.deleteMany();
  await prisma.setting.deleteMany();
  fs.rmSync(path.join(projectRoot, "var/backup"), { recursive: true, force: true, maxRetries: 5 });
}

/** No backups, no settings, and neither `site` nor `var`: for tests that lay out both themselves. */
export async function clearSiteAndVar(): Promise<void> {
  await resetBackups();
  for (const dir of ["site", "var"]) fs.rmSync(path.join(projectRoot, dir), { recursive: true, force: true });
}

/** No backups, no settings and an empty `site` folder: where most tests start. */
export async function freshSite(): Promise<void> {
  await resetBackups();
  fs.rmSync(path.join(projectRoot, "site"), { recursive: true, force: true });
  fs.mkdirSync(path.join(projectRoot, "site"), { recursive: true });
}

export function unzipTo(archive: string, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync("unzip", ["-q", archive, "-d", dir]);
}

export function testRoot(...parts: string[]): string {
  return path.join(projectRoot, ...parts);
}

let userCount = 0;
export async function makeUser(role: "admin" | "user") {
  userCount++;
  return createUser({ email: `${role}${userCount}@example.test`, role, password: "a-long-test-password" });
}

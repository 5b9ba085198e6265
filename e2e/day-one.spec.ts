import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { test, expect } from "@playwright/test";
import { E2E, resetSettings, signIn, stateFile } from "./helpers";

// Issue 13, as a new admin meets it: the portal on a port other than 3000 (no NEXTAUTH_URL anywhere),
// settings that say where each value comes from, and schedules that run with `npm start` alone.

const root = path.resolve(__dirname, "..");

test("on a port other than 3000 sign-in and sign-out stay on the address the browser used, never :3000", async ({ browser }) => {
  expect(E2E.port).not.toBe(3000);
  // localhost rather than the 127.0.0.1 of the other specs: the origin must come from the request itself.
  const origin = `http://localhost:${E2E.port}`;
  // An account of its own: signing out ends every session of that account, the other specs' saved ones too.
  const account = { email: "anyport@e2e.test", password: "anyport-password-123" };
  execFileSync(process.execPath, ["dist/cli.mjs", "user:create", "--email", account.email, "--role", "user", "--password-stdin"], {
    cwd: root,
    env: { ...process.env, ...E2E.isolatedEnv(E2E.dataDir), DATABASE_URL: `file:${E2E.databaseFile}` },
    input: `${account.password}\n`,
    stdio: ["pipe", "ignore", "inherit"],
  });
  const context = await browser.newContext({ baseURL: origin });
  const page = await context.newPage();
  const seen: string[] = [];
  page.on("request", (r) => seen.push(r.url()));
  page.on("framenavigated", (f) => seen.push(f.url()));
  await signIn(page, account);
  expect(new URL(page.url()).origin).toBe(origin);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL((url) => url.pathname === "/signin");
  expect(new URL(page.url()).origin).toBe(origin);
  await page.goto("/settings");
  await page.waitForURL((url) => url.pathname === "/signin");
  expect(seen.filter((u) => !u.startsWith(origin) && !u.startsWith("data:") && u !== "about:blank")).toEqual([]);
  expect(seen.join("\n")).not.toContain(":3000");
  await context.close();
});

test("mail links use the address the portal was last used at, shown on the settings page", async ({ browser }) => {
  const context = await browser.newContext({ storageState: stateFile("admin") });
  const page = await context.newPage();
  await page.goto("/settings");
  await expect(page.getByTestId("mail-links")).toHaveText(
    `Links in mails start with ${E2E.baseURL} (the address this portal was last used at; set APP_URL to fix it).`,
  );
  await context.close();
});

function storedSettingKeys(): string[] {
  const db = new Database(E2E.databaseFile, { timeout: 10_000 });
  const rows = db.prepare(`SELECT key FROM "Setting" WHERE key NOT LIKE '%:%' AND key NOT IN ('siteOrigin', 'schedulerHeartbeat') ORDER BY key`).all() as {
    key: string;
  }[];
  db.close();
  return rows.map((r) => r.key);
}

test.describe("settings that say where they come from", () => {
  test.use({ storageState: stateFile("admin") });
  test.beforeEach(() => resetSettings());
  test.afterEach(() => resetSettings());

  test("a save stores only the changed field; each field names its source; reset to default forgets it", async ({ page }) => {
    await page.goto("/settings");
    await expect(page.getByTestId("source-backupDir")).toHaveText("From the environment (BACKUP_DIR)");
    await expect(page.getByTestId("source-fileRoots")).toHaveText("From the environment (BACKUP_FILE_ROOTS)");
    await expect(page.getByTestId("source-backupName")).toHaveText("Default");
    await expect(page.getByTestId("source-enableBackupModule")).toHaveText("Default");

    await page.getByLabel("Backup name").fill("dayone");
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
    expect(storedSettingKeys()).toEqual(["backupName"]);
    await expect(page.getByTestId("source-backupName")).toContainText("Saved here");
    await expect(page.getByTestId("source-backupDir")).toHaveText("From the environment (BACKUP_DIR)");

    await page.getByTestId("source-backupName").getByRole("button", { name: "Reset to default" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Backup name reset" })).toBeVisible();
    await expect(page.getByTestId("source-backupName")).toHaveText("Default");
    await expect(page.getByLabel("Backup name")).toHaveValue("safekeep");
    expect(storedSettingKeys()).toEqual([]);
  });
});

test("npm start alone runs a due scheduled backup in a background process, and the health line says the scheduler runs", async () => {
  const port = E2E.port + 51;
  const base = `http://127.0.0.1:${port}`;
  const dir = path.join(E2E.dataDir, "scheduler");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "storage"), { recursive: true });
  fs.writeFileSync(path.join(dir, "storage", "page.html"), "<p>site</p>\n");
  const account = { email: "scheduler@e2e.test", password: "scheduler-password-123" };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...E2E.isolatedEnv(dir),
    SCHEDULER: "on",
    DATABASE_URL: `file:${path.join(dir, "portal.db")}`,
    NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
    BACKUP_DIR: path.join(dir, "backup"),
    BACKUP_FILE_ROOTS: path.join(dir, "storage"),
    BACKUP_RUNTIME_BINARY: process.execPath,
    BACKUP_MODULE_ENABLED: "true",
  };
  delete env.NEXTAUTH_URL;
  delete env.APP_URL;
  execFileSync(process.execPath, ["scripts/prepare-db.mjs"], { cwd: root, env, stdio: "ignore" });
  execFileSync(process.execPath, ["dist/cli.mjs", "user:create", "--email", account.email, "--role", "admin", "--password-stdin"], {
    cwd: root,
    env,
    input: `${account.password}\n`,
    stdio: ["pipe", "ignore", "inherit"],
  });
  const db = new Database(path.join(dir, "portal.db"), { timeout: 10_000 });
  // The daily schedule (the default, 00:00 UTC) last ran two days ago: a slot is due as the portal starts.
  db.prepare(`INSERT INTO "Setting" (key, value, updatedAt) VALUES ('scheduleState:daily', ?, ?)`).run(
    JSON.stringify(new Date(Date.now() - 2 * 86_400_000).toISOString()),
    Date.now(),
  );
  const server: ChildProcess = spawn(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "start", "-H", "127.0.0.1"], {
    cwd: root,
    env: { ...env, PORT: String(port) },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  server.stdout!.on("data", (d) => (output += d));
  server.stderr!.on("data", (d) => (output += d));
  try {
    type Row = { id: number; status: string; pid: number | null; requestedById: number | null };
    const job = () => db.prepare(`SELECT id, status, pid, requestedById FROM "Backup" WHERE kind = 'backup'`).get() as Row | undefined;
    await expect.poll(() => job()?.status, { timeout: 90_000 }).toBe("completed");
    expect(job()!.requestedById).toBeNull();
    expect(job()!.pid).not.toBe(server.pid);
    expect(output).toMatch(/scheduler: daily run for \S+: started \(safekeep-/);

    // PORT alone picked the port; signing in there works without NEXTAUTH_URL.
    const csrf = await fetch(`${base}/api/auth/csrf`);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const jar = csrf.headers.getSetCookie().map((c) => c.split(";")[0]!);
    const signedIn = await fetch(`${base}/api/auth/callback/credentials`, {
      method: "POST",
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded", cookie: jar.join("; ") },
      body: new URLSearchParams({ csrfToken, email: account.email, password: account.password, json: "true" }),
    });
    expect(((await signedIn.json()) as { url: string }).url.startsWith(base)).toBe(true);
    const session = signedIn.headers
      .getSetCookie()
      .find((c) => c.startsWith("next-auth.session-token="))!
      .split(";")[0]!;
    const html = await (await fetch(`${base}/backups`, { headers: { cookie: session } })).text();
    const line = html
      .match(/data-testid="scheduler"[^>]*>(.*?)<\/p>/)?.[1]
      ?.replace(/<[^>]+>/g, "")
      .replace(/<!-- -->/g, "");
    expect(line).toMatch(/^scheduler: running in the portal, next backup \d{4}-\d\d-\d\d 00:00 UTC$/);
  } finally {
    db.close();
    try {
      process.kill(-server.pid!, "SIGKILL");
    } catch {
      // gone
    }
  }
});

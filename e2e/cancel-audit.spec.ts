import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { test, expect, request as playwrightRequest } from "@playwright/test";
import { backupRows, E2E, resetSettings, setSettings, stateFile, waitUntilNoJobRuns, sameOrigin } from "./helpers";

const bigRoot = path.join(E2E.dataDir, "big-site");
const zipsAndParts = () => (fs.existsSync(E2E.backupDir) ? fs.readdirSync(E2E.backupDir) : []).filter((f) => f.endsWith(".zip") || f.endsWith(".part"));

test.beforeAll(() => {
  // Enough incompressible data that a backup runs for several seconds.
  fs.mkdirSync(bigRoot, { recursive: true });
  for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(bigRoot, `blob-${i}.bin`), randomBytes(6_000_000));
});
test.afterAll(() => {
  fs.rmSync(bigRoot, { recursive: true, force: true });
  resetSettings();
});

test.describe("cancel", () => {
  test.use({ storageState: stateFile("admin") });

  test("an admin cancels a running backup from its page, after confirming; nothing is left behind", async ({ page }) => {
    resetSettings();
    setSettings({ enableBackupModule: true, fileRoots: [E2E.storageDir, bigRoot] });
    await waitUntilNoJobRuns();
    const before = zipsAndParts();
    const started = await page.request.post("/api/v1/backups", { headers: sameOrigin });
    expect(started.status()).toBe(202);
    const { id, fileName } = (await started.json()) as { id: number; fileName: string };

    await page.goto(`/backups/${id}`);
    await page.getByRole("link", { name: "Cancel…" }).click();
    await expect(page.getByRole("heading", { name: "Cancel this backup?" })).toBeVisible();
    // The button does nothing until the box is ticked.
    await page.getByRole("button", { name: "Cancel backup" }).click();
    await expect(page).toHaveURL(new RegExp(`/backups/${id}/cancel$`));
    await page.getByLabel("Yes, stop this backup and discard what it has written").check();
    await page.getByRole("button", { name: "Cancel backup" }).click();

    await expect(page).toHaveURL(new RegExp(`/backups/${id}\\?cancelled=`));
    await expect(page.getByTestId("status")).toHaveText("cancelled");
    await expect(page.locator("main").getByRole("alert")).toHaveText(`Cancelled by ${E2E.admin.email}`);
    await expect(page.getByTestId("backup-log")).toContainText("partial files removed");
    expect(backupRows().find((b) => b.id === id)!.status).toBe("cancelled");
    expect(zipsAndParts()).toEqual(before);
    expect(zipsAndParts()).not.toContain(fileName);

    // The slot is free again; cancelling what has ended is refused with a clear message.
    const again = await page.request.post(`/api/v1/backups/${id}/cancel`, { headers: sameOrigin });
    expect(again.status()).toBe(409);
    expect((await again.json()).error.message).toMatch(/is cancelled; only a queued or running backup can be cancelled/);
  });

  test("the API cancels a running backup: 200 with the cancelled record, and the next backup can start", async ({ page }) => {
    resetSettings();
    setSettings({ enableBackupModule: true, fileRoots: [E2E.storageDir, bigRoot] });
    await waitUntilNoJobRuns();
    const { id } = (await (await page.request.post("/api/v1/backups", { headers: sameOrigin })).json()) as { id: number };
    await expect.poll(async () => ((await (await page.request.get(`/api/v1/backups/${id}`)).json()) as { phase: string }).phase).toBe("archiving");
    const response = await page.request.post(`/api/v1/backups/${id}/cancel`, { headers: sameOrigin });
    expect(response.status()).toBe(200);
    expect(await response.json()).toMatchObject({ id, status: "cancelled", error: `Cancelled by ${E2E.admin.email}` });
    expect((await page.request.post(`/api/v1/backups/${id + 1000}/cancel`, { headers: sameOrigin })).status()).toBe(404);
    setSettings({ fileRoots: [E2E.storageDir] });
    expect((await page.request.post("/api/v1/backups", { headers: sameOrigin })).status()).toBe(202);
    await waitUntilNoJobRuns();
  });
});

test.describe("audit trail", () => {
  test("every sensitive act lands in the trail with who and from where; the admin page filters and pages it", async ({ browser }) => {
    const admin = await playwrightRequest.newContext({ baseURL: E2E.baseURL, storageState: stateFile("admin"), extraHTTPHeaders: sameOrigin });
    resetSettings();
    setSettings({ enableBackupModule: true });
    await waitUntilNoJobRuns();
    // Acts not made elsewhere in this file: download, delete, a settings change.
    expect((await admin.post("/api/v1/backups")).status()).toBe(202);
    await waitUntilNoJobRuns();
    const done = backupRows()
      .filter((b) => b.status === "completed")
      .at(-1)!;
    expect((await admin.get(`/api/v1/backups/download/${done.fileName}`)).status()).toBe(200);
    expect((await admin.delete(`/api/v1/backups/${done.fileName}`)).status()).toBe(204);

    const context = await browser.newContext({ storageState: stateFile("admin") });
    const page = await context.newPage();
    await page.goto("/settings");
    await page.getByLabel("Backup name").fill("audited");
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(page.getByRole("status")).toContainText("Saved: backup name: audited");

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).click();
    await expect(page.getByRole("heading", { name: "Audit trail" })).toBeVisible();
    const actions = await page.getByLabel("Action").locator("option").allTextContents();
    for (const action of ["sign-in", "sign-in.failed", "backup.create", "backup.download", "backup.delete", "backup.cancel", "settings.update"]) {
      expect(actions, action).toContain(action);
    }

    // By action: the delete above, by the admin, from the loopback address.
    await page.getByLabel("Action").selectOption("backup.delete");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL(/action=backup\.delete/);
    const row = page.getByTestId("audit-row").filter({ hasText: done.fileName });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText(E2E.admin.email);
    await expect(row.locator("td").nth(4)).toHaveText(/127\.0\.0\.1/);
    for (const text of await page.getByTestId("audit-row").locator("td:nth-child(3)").allTextContents()) expect(text).toBe("backup.delete");

    // By actor, and by date.
    await page.goto(`/audit?actor=${encodeURIComponent(E2E.user.email)}`);
    const who = await page.getByTestId("audit-row").locator("td:nth-child(2)").allTextContents();
    expect(who.length).toBeGreaterThan(0);
    for (const w of who) expect(w).toBe(E2E.user.email);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await page.goto(`/audit?from=${tomorrow}`);
    await expect(page.getByText("No events match.")).toBeVisible();
    const today = new Date().toISOString().slice(0, 10);
    await page.goto(`/audit?from=${today}&to=${today}&action=settings.update`);
    await expect(page.getByTestId("audit-row").first()).toContainText("backupName");

    // Paginated: 50 a page, newest first.
    const db = new Database(E2E.databaseFile, { timeout: 10_000 });
    const insert = db.prepare(`INSERT INTO "AuditEvent" ("at", "actorEmail", "action", "target", "ip") VALUES (?, ?, 'test.filler', ?, '192.0.2.1')`);
    for (let i = 0; i < 120; i++) insert.run(Date.now() - 60_000 + i, "filler@e2e.test", `filler-${i}`);
    db.close();
    await page.goto("/audit?action=test.filler");
    await expect(page.getByText("Page 1 of 3 · 120 events")).toBeVisible();
    await expect(page.getByTestId("audit-row")).toHaveCount(50);
    await expect(page.getByTestId("audit-row").first()).toContainText("filler-119");
    await page.getByRole("link", { name: "Older" }).click();
    await expect(page.getByText("Page 2 of 3 · 120 events")).toBeVisible();
    await expect(page.getByTestId("audit-row").first()).toContainText("filler-69");
    await context.close();
    await admin.dispose();
  });
});

test("sign-in: after repeated failures the page says to wait, even for the right password", async ({ page }) => {
  const account = { email: `locked-${Date.now()}@e2e.test`, password: "locked-account-password" };
  execFileSync(process.execPath, ["dist/cli.mjs", "user:create", "--email", account.email, "--role", "user", "--password-stdin"], {
    env: { ...process.env, ...E2E.isolatedEnv(E2E.dataDir), DATABASE_URL: `file:${E2E.databaseFile}` },
    input: `${account.password}\n`,
    stdio: ["pipe", "ignore", "inherit"],
  });
  await page.goto("/signin");
  for (let i = 0; i < 5; i++) {
    await page.getByLabel("Email").fill(account.email);
    await page.getByLabel("Password").fill(`wrong-${i}`);
    const answered = page.waitForResponse((r) => r.url().includes("/api/auth/callback/credentials"));
    await page.getByRole("button", { name: "Sign in" }).click();
    await answered;
    await expect(page.locator("form").getByRole("alert")).toHaveText("Wrong email or password.");
    await expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled();
  }
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("form").getByRole("alert")).toHaveText("Too many sign-in attempts. Try again in 15 minutes.");
  await expect(page).toHaveURL(/\/signin/);
});

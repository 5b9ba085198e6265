import Database from "better-sqlite3";
import { test, expect, type Page } from "@playwright/test";
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from "../tests/helpers/smtp";
import { backupRows, callAction, E2E, resetSettings, setSettings, stateFile, waitUntilNoJobRuns } from "./helpers";

// A real SMTP server on loopback, with AUTH: the portal must log in with the saved password, and that
// password must never come back, neither on a page nor in a mail.
const SMTP_USER = "mailer";
const SMTP_PASSWORD = "e2e-smtp-secret-9f3k";
let refuse = false;
let smtpServer: TestSmtpServer;
let received: ReceivedMail[] = [];
let smtpPort = 0;

test.describe.configure({ mode: "serial" });
test.use({ storageState: stateFile("admin") });

test.beforeAll(async () => {
  smtpServer = await startSmtpServer({ user: SMTP_USER, password: SMTP_PASSWORD }, () => refuse);
  ({ port: smtpPort, received } = smtpServer);
});

test.afterAll(() => smtpServer.close());

const smtpSettings = () => ({ smtpHost: "127.0.0.1", smtpPort, smtpSecure: false, smtpUser: SMTP_USER, smtpPassword: SMTP_PASSWORD });

function db() {
  return new Database(E2E.databaseFile, { timeout: 10_000 });
}

/** Completed backups of kind "backup" (not restores, not safety backups), oldest first. */
function completedBackups(): { id: number; fileName: string }[] {
  const conn = db();
  const rows = conn.prepare(`SELECT id, fileName FROM "Backup" WHERE kind = 'backup' AND status = 'completed' ORDER BY id`).all() as {
    id: number;
    fileName: string;
  }[];
  conn.close();
  return rows;
}

function mailErrorOf(id: number): string | null {
  const conn = db();
  const row = conn.prepare(`SELECT mailError FROM "Backup" WHERE id = ?`).get(id) as { mailError: string | null } | undefined;
  conn.close();
  return row?.mailError ?? null;
}

function pinnedOf(id: number): boolean {
  const conn = db();
  const row = conn.prepare(`SELECT pinned FROM "Backup" WHERE id = ?`).get(id) as { pinned: number } | undefined;
  conn.close();
  return row?.pinned === 1;
}

/** Moves every completed backup's creation time back, as if the last backup were that old. */
function ageBackups(hours: number): void {
  const conn = db();
  const rows = conn.prepare(`SELECT id, createdAt FROM "Backup"`).all() as { id: number; createdAt: number | string }[];
  const update = conn.prepare(`UPDATE "Backup" SET createdAt = ? WHERE id = ?`);
  for (const row of rows) {
    const old = typeof row.createdAt === "number" ? row.createdAt : Date.parse(row.createdAt);
    const moved = old - hours * 3600_000;
    update.run(typeof row.createdAt === "number" ? moved : new Date(moved).toISOString(), row.id);
  }
  conn.close();
}

async function createBackupInPortal(page: Page): Promise<{ id: number; fileName: string; status: string }> {
  await waitUntilNoJobRuns();
  const before = new Set(backupRows().map((b) => b.id));
  await page.goto("/backups");
  await page.getByRole("button", { name: "Create backup" }).click();
  await expect(page.getByRole("status")).toContainText("started");
  await expect.poll(() => backupRows().some((b) => !before.has(b.id))).toBe(true);
  await waitUntilNoJobRuns();
  return backupRows().find((b) => !before.has(b.id))!;
}

test("mail settings: the password never returns to the page, the test mail logs in with it, a refusal is reported", async ({ page, browser }) => {
  resetSettings();
  setSettings({ enableBackupModule: true });
  received.length = 0;
  refuse = false;

  await page.goto("/settings");
  await expect(page.getByTestId("mail-note")).toContainText("Mail is not configured");
  await expect(page.getByTestId("mail-note")).toContainText("mail-outbox");

  await page.getByLabel("SMTP host").fill("127.0.0.1");
  await page.getByLabel("SMTP port").fill(String(smtpPort));
  await page.getByLabel("SMTP user").fill(SMTP_USER);
  await page.getByLabel("SMTP password").fill(SMTP_PASSWORD);
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("status").first()).toContainText("SMTP password changed");

  await page.reload();
  await expect(page.getByTestId("mail-note")).toHaveCount(0);
  await expect(page.getByLabel("SMTP password")).toHaveValue("********");
  expect(await page.content()).not.toContain(SMTP_PASSWORD);
  expect(await (await page.request.get("/settings")).text()).not.toContain(SMTP_PASSWORD);

  // Saving again with the mask in the field keeps the stored password: the test mail still logs in.
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("status").first()).toHaveText("Nothing changed");
  await page.getByRole("button", { name: "Send test email" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Sent to" })).toContainText(`Sent to ${E2E.admin.email}`);
  await expect.poll(() => received.length).toBe(1);
  expect(received[0].to).toEqual([E2E.admin.email]);
  expect(received[0].mail.subject).toBe("Safekeep test mail");
  expect(received[0].raw).not.toContain(SMTP_PASSWORD);

  refuse = true;
  await page.getByRole("button", { name: "Send test email" }).click();
  const alert = page.getByRole("alert").filter({ hasText: "could not be sent" });
  await expect(alert).toContainText("Invalid username or password");
  await expect(alert).not.toContainText(SMTP_PASSWORD);
  expect(received.length).toBe(1);
  refuse = false;

  // Only an admin can send one, even by calling the action directly.
  const userContext = await browser.newContext({ storageState: stateFile("user") });
  const refused = await callAction(userContext.request, "/settings", "sendTestMailAction");
  await userContext.close();
  expect(refused.ok).toBe(false);
  expect(received.length).toBe(1);
});

test("a backup started in the portal mails its requester a link to it; a refused mail is shown on the job, which stays completed", async ({ page }) => {
  resetSettings();
  setSettings({ enableBackupModule: true, ...smtpSettings() });
  received.length = 0;
  refuse = false;

  const done = await createBackupInPortal(page);
  expect(done.status).toBe("completed");
  await expect.poll(() => received.length).toBe(1);
  const { mail, raw, to } = received[0];
  expect(to).toEqual([E2E.admin.email]);
  expect(mail.subject).toBe(`Backup completed: ${done.fileName}`);
  expect(mail.text).toContain(`${E2E.baseURL}/backups/${done.id}`);
  expect(mail.html).toContain(`${E2E.baseURL}/backups/${done.id}`);
  expect(raw).not.toContain(SMTP_PASSWORD);

  refuse = true;
  const second = await createBackupInPortal(page);
  expect(second.status).toBe("completed");
  // The mail goes out after the job is marked completed: wait for the worker's attempt to be recorded.
  await expect.poll(() => mailErrorOf(second.id)).toContain("could not be sent");
  refuse = false;
  expect(received.length).toBe(1);
  await page.goto(`/backups/${second.id}`);
  await expect(page.getByTestId("status")).toHaveText("completed");
  await expect(page.getByTestId("mail-error")).toContainText("could not be sent");
  await expect(page.getByTestId("mail-error")).not.toContainText(SMTP_PASSWORD);
});

test("a pinned backup survives retention; the oldest unpinned ones beyond the limit go", async ({ page }) => {
  resetSettings();
  setSettings({ enableBackupModule: true });
  await waitUntilNoJobRuns();
  const existing = completedBackups();
  expect(existing.length).toBeGreaterThanOrEqual(2);
  const [toPin, ...others] = existing;

  await page.goto(`/backups/${toPin.id}`);
  await page.getByRole("button", { name: "Pin (keep forever)" }).click();
  await expect(page.getByRole("button", { name: "Unpin" })).toBeVisible();
  await expect(page.getByText("retention never deletes it")).toBeVisible();
  expect(pinnedOf(toPin.id)).toBe(true);
  await page.goto("/backups");
  await expect(page.getByTestId("backup-row").filter({ hasText: toPin.fileName })).toContainText("pinned");

  setSettings({ maxBackups: 1 });
  const newest = await createBackupInPortal(page);
  expect(newest.status).toBe("completed");
  // Retention runs in the worker once the backup is marked completed: wait for it.
  await expect
    .poll(() =>
      completedBackups()
        .map((b) => b.id)
        .sort(),
    )
    .toEqual([toPin.id, newest.id].sort());
  const left = backupRows().map((b) => b.id);
  for (const other of others) expect(left).not.toContain(other.id);

  // Unpinning puts it back under the limit at the next successful backup.
  await page.goto(`/backups/${toPin.id}`);
  await page.getByRole("button", { name: "Unpin" }).click();
  await expect(page.getByRole("button", { name: "Pin (keep forever)" })).toBeVisible();
  expect(pinnedOf(toPin.id)).toBe(false);
  const last = await createBackupInPortal(page);
  await expect.poll(() => completedBackups().map((b) => b.id)).toEqual([last.id]);
});

test("the health line says when the last backup was made, warns when it is stale, and shows space used and free", async ({ page }) => {
  resetSettings();
  setSettings({ enableBackupModule: true });
  await waitUntilNoJobRuns();
  expect(completedBackups().length).toBeGreaterThan(0);

  await page.goto("/backups");
  const health = page.getByTestId("health");
  await expect(health).toContainText("Last successful backup");
  await expect(health).not.toContainText("never");
  await expect(health.getByTestId("stale")).toHaveCount(0);
  await expect(health).toContainText(/Backups use \d/);
  await expect(health).toContainText(/Free disk: \d/);

  ageBackups(27);
  await page.reload();
  await expect(health.getByTestId("stale")).toHaveText("stale: older than the schedule allows");
});

test("schedules: the settings page shows the next five runs in the chosen time zone, refuses a bad expression, and a schedule can be off", async ({ page }) => {
  resetSettings();
  setSettings({ enableBackupModule: true });
  await page.goto("/settings");
  await page.getByLabel("Daily backup").fill("30 3 * * *");
  await page.getByLabel("Weekly backup").fill("");
  await page.getByLabel("Time zone of the schedule").fill("Asia/Tokyo");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("status").first()).toBeVisible();

  await page.reload();
  // 03:30 in Tokyo (UTC+9, no daylight saving) is 18:30 UTC the day before.
  const daily = await page.getByTestId("next-daily").textContent();
  expect(daily!.match(/\d{4}-\d\d-\d\d 18:30 UTC/g)).toHaveLength(5);
  await expect(page.getByText("weekly: off")).toBeVisible();

  await page.getByLabel("Daily backup").fill("61 * * * *");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("alert").first()).toContainText("not valid");
  await page.reload();
  await expect(page.getByLabel("Daily backup")).toHaveValue("30 3 * * *");
});

import fs from "node:fs";
import path from "node:path";
import { test, expect } from "@playwright/test";
import { backupRows, callAction, E2E, resetSettings, setSettings, stateFile, waitUntilNoJobRuns, sameOrigin } from "./helpers";

test.use({ storageState: stateFile("admin") });

test("an admin restores a backup through the confirmation page and gets the files back", async ({ page }) => {
  resetSettings();
  setSettings({ enableBackupModule: true });
  await waitUntilNoJobRuns();
  const readme = path.join(E2E.storageDir, "uploads/readme.txt");
  const cafe = path.join(E2E.storageDir, "uploads/café menu.txt");
  const original = fs.readFileSync(readme, "utf8");

  const started = await page.request.post("/api/v1/backups", { headers: sameOrigin });
  expect(started.status()).toBe(202);
  const { id } = (await started.json()) as { id: number };
  await waitUntilNoJobRuns();
  const backup = backupRows().find((b) => b.id === id)!;
  expect(backup.status).toBe("completed");

  // The site changes after the backup.
  fs.writeFileSync(readme, "changed after the backup\n");
  fs.rmSync(cafe);
  fs.writeFileSync(path.join(E2E.storageDir, "uploads/new-after-backup.txt"), "new\n");

  await page.goto(`/backups/${id}`);
  await page.getByRole("link", { name: "Restore…" }).click();
  await expect(page.getByRole("heading", { name: "Restore this backup?" })).toBeVisible();
  await expect(page.getByTestId("replaces-database")).toContainText("portal.db");
  await expect(page.getByTestId("replaces-folder")).toContainText(E2E.storageDir);

  // Earlier specs may have run restores of their own: this one counts only what it starts.
  const restoreJobs = () => backupRows().filter((b) => b.fileName.startsWith("restore-"));
  const restoresBefore = restoreJobs();
  const safetyBackups = () => backupRows().filter((b) => b.fileName.includes("-safety-"));
  const safetyBefore = safetyBackups().length;
  const button = page.getByRole("button", { name: "Restore" });
  await expect(button).toBeDisabled();
  await page.getByLabel(/Type the backup's name/).fill("not-the-name.zip");
  await expect(button).toBeDisabled();
  // The server refuses a wrong name too, whatever the page allows.
  const refused = await callAction(page.request, `/backups/${id}/restore`, "startRestoreAction", { id: String(id), parts: "both", confirm: "wrong.zip" });
  expect(refused).toMatchObject({ ok: false, status: 422 });
  expect(restoreJobs()).toEqual(restoresBefore);

  await page.getByLabel(/Type the backup's name/).fill(backup.fileName);
  await expect(button).toBeEnabled();
  await page.screenshot({ path: "test-results/screenshots/restore-confirm.png", fullPage: true });
  await button.click();

  await expect(page).toHaveURL(/\/backups\/\d+$/);
  await expect(page.getByRole("heading", { name: /^Restore restore-/ })).toBeVisible();
  await expect(page.getByTestId("status")).toHaveText("completed", { timeout: 90_000 });
  await page.screenshot({ path: "test-results/screenshots/restore-done.png", fullPage: true });
  await expect(page.getByTestId("backup-log")).toContainText("Restore completed");

  expect(fs.readFileSync(readme, "utf8")).toBe(original);
  expect(fs.readFileSync(cafe, "utf8")).toBe("crème brûlée\n");
  expect(fs.existsSync(path.join(E2E.storageDir, "uploads/new-after-backup.txt"))).toBe(false);

  // The safety backup of the state before the restore is listed, and the original is still there.
  await page.goto("/backups");
  await expect(page.getByRole("link", { name: backup.fileName })).toBeVisible();
  expect(safetyBackups()).toHaveLength(safetyBefore + 1);
  await expect(page.getByTestId("backup-row").filter({ hasText: safetyBackups().at(-1)!.fileName })).toHaveCount(1);
  resetSettings();
});

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test, expect } from "@playwright/test";
import { backupRows, E2E, resetSettings, stateFile, waitUntilNoJobRuns, sameOrigin } from "./helpers";

const shots = "test-results/screenshots";

test.use({ storageState: stateFile("admin") });

test("an admin enables the module, backs up, watches it, downloads it and deletes it", async ({ page }) => {
  resetSettings();
  await waitUntilNoJobRuns();

  // Off until enabled: no Backups in the navigation, and the page does not exist.
  await page.goto("/settings");
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Backups" })).toHaveCount(0);
  expect((await page.request.get("/backups")).status()).toBe(404);

  await page.getByLabel("Enable the backup module").check();
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("status")).toContainText("Saved: backup module switched on");
  await page.screenshot({ path: `${shots}/settings.png`, fullPage: true });

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Backups" }).click();
  await expect(page).toHaveURL(/\/backups$/);
  await page.getByRole("button", { name: "Create backup" }).click();
  await expect(page.getByRole("status")).toContainText("started");
  const fileName = /Backup (\S+\.zip) started/.exec((await page.getByRole("status").textContent())!)![1]!;
  expect(fileName).toMatch(/^safekeep-\d{8}-\d{6}-\d+\.zip$/);

  // The bar of this backup's row moves on its own (no reload) and gives way to the completed badge.
  const row = page.getByTestId("backup-row").filter({ hasText: fileName });
  const bar = row.getByRole("progressbar");
  await expect(bar).toBeVisible();
  await page.screenshot({ path: `${shots}/backups-running.png`, fullPage: true });
  const seen = new Set<number>();
  await expect
    .poll(
      async () => {
        if (await bar.count()) seen.add(Number(await bar.getAttribute("aria-valuenow")));
        return row
          .getByTestId("status")
          .textContent()
          .catch(() => null);
      },
      { timeout: 120_000, intervals: [200] },
    )
    .toBe("completed");
  expect(seen.size).toBeGreaterThan(0);
  await page.screenshot({ path: `${shots}/backups.png`, fullPage: true });
  await expect(row).toContainText(E2E.admin.email);

  await row.getByRole("link", { name: fileName }).click();
  await expect(page.getByRole("heading", { name: fileName })).toBeVisible();
  await expect(page.getByTestId("backup-log")).toContainText("Completed");
  await page.screenshot({ path: `${shots}/backup-detail.png`, fullPage: true });

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download" }).click()]);
  expect(download.suggestedFilename()).toBe(fileName);
  const saved = path.join(E2E.dataDir, "downloaded.zip");
  await download.saveAs(saved);
  expect(fs.readFileSync(saved).equals(fs.readFileSync(path.join(E2E.backupDir, fileName)))).toBe(true);
  const listing = execFileSync("unzip", ["-Z1", saved], { encoding: "utf8" }).split("\n");
  expect(listing).toContain("manifest.json");
  expect(listing).toContain("database/portal.sqlite");
  expect(listing).toContain("files/storage/uploads/café menu.txt");
  expect(listing).toContain("files/storage/uploads/media/video-11.bin");
  const out = path.join(E2E.dataDir, "unzipped");
  execFileSync("unzip", ["-q", "-o", saved, "-d", out]);
  expect(
    fs.readFileSync(path.join(out, "files/storage/uploads/media/video-3.bin")).equals(fs.readFileSync(path.join(E2E.storageDir, "uploads/media/video-3.bin"))),
  ).toBe(true);

  // Delete goes through a confirmation page.
  await page.getByRole("link", { name: "Delete…" }).click();
  await expect(page.getByRole("heading", { name: "Delete this backup?" })).toBeVisible();
  await page.screenshot({ path: `${shots}/delete-confirm.png`, fullPage: true });
  await page.getByLabel("Yes, delete this backup permanently").check();
  await page.getByRole("button", { name: "Delete backup" }).click();
  await expect(page).toHaveURL(/\/backups\?deleted=/);
  await expect(page.getByRole("status")).toContainText(`Deleted ${fileName}`);
  await expect(page.getByRole("link", { name: fileName })).toHaveCount(0);
  expect(fs.existsSync(path.join(E2E.backupDir, fileName))).toBe(false);
  expect(backupRows().find((b) => b.fileName === fileName)).toBeUndefined();
});

test("a second Create while one runs gets a clear message, not a second process", async ({ page }) => {
  resetSettings();
  await waitUntilNoJobRuns();
  const { setSettings } = await import("./helpers");
  setSettings({ enableBackupModule: true });
  await page.goto("/backups");
  const before = backupRows().length;
  await page.getByRole("button", { name: "Create backup" }).click();
  await expect(page.getByRole("status")).toContainText("started");
  const second = await page.request.post("/api/v1/backups", { headers: sameOrigin });
  expect(second.status()).toBe(409);
  expect((await second.json()).error.message).toMatch(/already (queued|running)/);
  expect(backupRows().length).toBe(before + 1);
  await waitUntilNoJobRuns();
});

import { test, expect } from "@playwright/test";
import { resetSettings, setSettings, stateFile } from "./helpers";

test("a plain user is kept out until backupAccess is opened to users", async ({ browser }) => {
  resetSettings();
  setSettings({ enableBackupModule: true });
  const userContext = await browser.newContext({ storageState: stateFile("user") });
  const page = await userContext.newPage();

  await page.goto("/");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav).toBeVisible();
  await expect(nav.getByRole("link", { name: "Backups" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "Settings" })).toHaveCount(0);

  const denied = await page.goto("/backups");
  expect(denied?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "No access" })).toBeVisible();
  await page.screenshot({ path: "test-results/screenshots/user-forbidden.png" });
  expect((await page.goto("/settings"))?.status()).toBe(403);

  // The admin opens backups to every signed-in user on the settings page.
  const adminContext = await browser.newContext({ storageState: stateFile("admin") });
  const admin = await adminContext.newPage();
  await admin.goto("/settings");
  await admin.getByLabel("Who can manage backups").selectOption("user");
  await admin.getByRole("button", { name: "Save settings" }).click();
  await expect(admin.getByRole("status")).toContainText("Saved: who can manage backups: every signed-in user");

  const allowed = await page.goto("/backups");
  expect(allowed?.status()).toBe(200);
  await expect(nav.getByRole("link", { name: "Backups" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Create backup" })).toBeVisible();
  // Settings stay for admins only.
  expect((await page.goto("/settings"))?.status()).toBe(403);

  await adminContext.close();
  await userContext.close();
  resetSettings();
});

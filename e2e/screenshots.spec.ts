import fs from "node:fs";
import path from "node:path";
import { test, expect, type Page } from "@playwright/test";
import { backupRows, resetSettings, sameOrigin, setSettings, stateFile, waitUntilNoJobRuns } from "./helpers";

// Every page at a desktop and a phone width. The suite writes them under test-results/; with
// UPDATE_SCREENSHOTS=1 they replace the ones in docs/screenshots/ that the README lists:
//   UPDATE_SCREENSHOTS=1 E2E_PORT=3100 npx playwright test e2e/screenshots.spec.ts
const dir = process.env.UPDATE_SCREENSHOTS ? "docs/screenshots" : "test-results/screenshots/pages";
const widths = [1280, 390] as const;

test.use({ storageState: stateFile("admin") });
test.afterAll(() => resetSettings());

async function shoot(page: Page, name: string, width: number) {
  await page.setViewportSize({ width, height: width > 500 ? 800 : 844 });
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}-${width}.png`), fullPage: true, animations: "disabled" });
}

async function eachWidth(page: Page, name: string, url: string, ready: (page: Page) => Promise<void>) {
  for (const width of widths) {
    await page.setViewportSize({ width, height: 800 });
    await page.goto(url);
    await ready(page);
    await shoot(page, name, width);
  }
}

test("every page, at 1280 px and at 390 px", async ({ page, browser }) => {
  test.setTimeout(300_000);
  resetSettings();
  await waitUntilNoJobRuns();

  const anonymous = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const signin = await anonymous.newPage();
  await eachWidth(signin, "signin", "/signin", (p) => expect(p.getByRole("button", { name: "Sign in" })).toBeEnabled());
  await anonymous.close();

  await eachWidth(page, "module-off", "/backups", (p) => expect(p.getByRole("heading", { name: "The backup module is off" })).toBeVisible());

  setSettings({ enableBackupModule: true });
  for (let i = 0; i < 3; i++) {
    expect((await page.request.post("/api/v1/backups", { headers: sameOrigin })).status()).toBe(202);
    await waitUntilNoJobRuns();
  }
  const done = backupRows()
    .filter((b) => b.status === "completed")
    .at(-1)!;

  await eachWidth(page, "settings", "/settings", (p) => expect(p.getByRole("button", { name: "Save settings" })).toBeVisible());
  await eachWidth(page, "tokens", "/tokens", (p) => expect(p.getByRole("heading", { name: /API tokens/ })).toBeVisible());
  await eachWidth(page, "audit", "/audit", (p) => expect(p.getByRole("heading", { name: "Audit trail" })).toBeVisible());
  await eachWidth(page, "backups", "/backups", (p) => expect(p.getByTestId("trend")).toBeVisible());
  await eachWidth(page, "backup", `/backups/${done.id}`, (p) => expect(p.getByTestId("backup-log")).toContainText("Completed"));
  await eachWidth(page, "restore-confirm", `/backups/${done.id}/restore`, (p) =>
    expect(p.getByRole("heading", { name: "Restore this backup?" })).toBeVisible(),
  );
  await eachWidth(page, "delete-confirm", `/backups/${done.id}/delete`, (p) => expect(p.getByRole("heading", { name: "Delete this backup?" })).toBeVisible());

  // A backup at work: the list with its progress bar, and the cancel confirmation. One backup per width:
  // the test site's backup can end before a second width's pictures are taken.
  for (const width of widths) {
    await waitUntilNoJobRuns();
    const started = await page.request.post("/api/v1/backups", { headers: sameOrigin });
    const { id } = (await started.json()) as { id: number };
    // Under way, not just queued, so the picture shows a phase and a percentage.
    await expect.poll(() => backupRows().find((b) => b.id === id)?.status).toBe("running");
    await page.setViewportSize({ width, height: 800 });
    await page.goto("/backups");
    // A job at work is what the picture shows; its percentage depends on how fast this machine is.
    await expect(page.getByRole("progressbar").first()).toBeVisible();
    await shoot(page, "backups-running", width);
    await page.goto(`/backups/${id}/cancel`);
    await expect(page.getByRole("heading", { name: "Cancel this backup?" })).toBeVisible();
    await shoot(page, "cancel-confirm", width);
  }
  await waitUntilNoJobRuns();
});

import { test, expect, type Page } from "@playwright/test";
import { backupRows, E2E, resetSettings, sameOrigin, setSettings, stateFile, waitUntilNoJobRuns } from "./helpers";

// What a new admin meets on day one (issue 13): forms that keep what was typed, pages that fit a phone,
// a chart with units, a log that follows the job, and a page that says where the backup module is switched on.

async function makeBackups(page: Page, n: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    await waitUntilNoJobRuns();
    const started = await page.request.post("/api/v1/backups", { headers: sameOrigin });
    expect(started.status()).toBe(202);
    ids.push(((await started.json()) as { id: number }).id);
  }
  await waitUntilNoJobRuns();
  return ids;
}

/** The page itself never scrolls sideways: everything fits the window's width. */
async function expectNoSidewaysScroll(page: Page, where: string) {
  const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, window: window.innerWidth }));
  expect(widths.page, `${where} is wider than the screen`).toBeLessThanOrEqual(widths.window);
}

test.describe("sign-in", () => {
  test("keeps the email after a wrong password, and the next try needs only the password", async ({ page }) => {
    await page.goto("/signin");
    await page.getByLabel("Email").fill(E2E.admin.email);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.locator("form").getByRole("alert")).toHaveText("Wrong email or password.");
    await expect(page.getByLabel("Email")).toHaveValue(E2E.admin.email);

    await page.getByLabel("Password").fill(E2E.admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/signin"));
    await expect(page.getByText(E2E.admin.email, { exact: true })).toBeVisible();
  });
});

test.describe("as the admin", () => {
  test.use({ storageState: stateFile("admin") });
  test.afterAll(() => resetSettings());

  test("a refused settings save keeps what was typed, with the error beside its field; a save says what it saved", async ({ page }) => {
    resetSettings();
    await page.goto("/settings");
    await page.getByLabel("Backup name").fill("bad name!");
    await page.getByLabel("Compression").selectOption("fast");
    await page.getByLabel(/SMTP host/).fill("mail.example.org");
    await page.getByLabel("Enable the backup module").check();
    await page.getByRole("button", { name: "Save settings" }).click();

    await expect(page.locator("form").getByRole("alert")).toContainText("One setting is not valid: backup name. Nothing was saved");
    await expect(page.getByLabel("Backup name")).toHaveValue("bad name!");
    await expect(page.getByLabel("Compression")).toHaveValue("fast");
    await expect(page.getByLabel(/SMTP host/)).toHaveValue("mail.example.org");
    await expect(page.getByLabel("Enable the backup module")).toBeChecked();
    // The error sits with the field it is about, and is read with it.
    const nameField = page.locator('[data-field="backupName"]');
    await expect(nameField.getByTestId("error-backupName")).toContainText("Letters, digits");
    await expect(page.getByLabel("Backup name")).toHaveAttribute("aria-invalid", "true");
    await expect(page.getByLabel("Backup name")).toHaveAccessibleDescription(/Letters, digits/);

    await page.getByLabel("Backup name").fill("dayone");
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(page.locator("form").getByRole("status")).toHaveText(
      "Saved: backup module switched on, backup name: dayone, compression: fast, SMTP host: mail.example.org",
    );
    await expect(page.getByLabel("Backup name")).toHaveValue("dayone");
    await page.reload();
    await expect(page.getByLabel("Backup name")).toHaveValue("dayone");
    await expect(page.getByLabel("Compression")).toHaveValue("fast");
  });

  test("opening Backups while the module is off says so and links to the switch", async ({ page, browser }) => {
    resetSettings();
    const response = await page.goto("/backups");
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "The backup module is off" })).toBeVisible();
    await page.getByRole("link", { name: "Switch it on in Settings" }).click();
    await expect(page).toHaveURL(/\/settings#enableBackupModule$/);
    await expect(page.getByLabel("Enable the backup module")).not.toBeChecked();
    // A backup's own page too.
    await page.goto("/backups/1");
    await expect(page.getByRole("heading", { name: "The backup module is off" })).toBeVisible();

    // Anyone else gets the plain page, which says nothing about the module.
    const user = await browser.newContext({ storageState: stateFile("user") });
    const userPage = await user.newPage();
    expect((await userPage.goto("/backups"))?.status()).toBe(404);
    await expect(userPage.getByRole("heading", { name: "Not found" })).toBeVisible();
    await expect(userPage.getByText(/module/i)).toHaveCount(0);
    await user.close();
    const anonymous = await browser.newContext({ storageState: { cookies: [], origins: [] } });
    const anonymousPage = await anonymous.newPage();
    expect((await anonymousPage.goto("/backups"))?.status()).toBe(404);
    await expect(anonymousPage.getByText(/module/i)).toHaveCount(0);
    await anonymous.close();
  });

  test("the chart has axes with units, a legend, and each backup's exact values on hover and for screen readers", async ({ page }) => {
    resetSettings();
    setSettings({ enableBackupModule: true });
    await makeBackups(page, 2);
    await page.goto("/backups");
    const chart = page.getByTestId("trend");
    await expect(chart.getByTestId("trend-legend")).toContainText(/Size \((KB|MB|GB), left axis\)/);
    await expect(chart.getByTestId("trend-legend")).toContainText(/Duration \((s|min), right axis\)/);
    await expect(chart.locator("svg text").filter({ hasText: / MB$/ }).first()).toBeVisible();
    const bars = chart.getByTestId("trend-bar");
    expect(await bars.count()).toBeGreaterThanOrEqual(2);
    await expect(bars.last().locator("title")).toHaveText(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC: \d+(\.\d)? MB, took \d+ s$/);
    const table = chart.getByRole("table", { name: /Size and duration of the last \d+ backups/ });
    await expect(table.getByRole("row")).toHaveCount((await bars.count()) + 1);
    await expect(table.getByRole("cell").filter({ hasText: / MB$/ }).first()).toBeAttached();
  });

  test("on a 390 px phone the Backups list shows each row's date, status and Download button without sideways scrolling", async ({ page }) => {
    resetSettings();
    setSettings({ enableBackupModule: true });
    await makeBackups(page, 1);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto("/backups");
    await expectNoSidewaysScroll(page, "/backups");
    const row = page.getByTestId("backup-row").first();
    for (const part of [row.getByText(/\d{4}-\d\d-\d\d \d\d:\d\d/), row.getByTestId("status"), row.getByRole("link", { name: /Download backup/ })]) {
      await expect(part).toBeVisible();
      const box = (await part.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
    }
    const id = backupRows()
      .filter((b) => b.status === "completed")
      .at(-1)!.id;
    for (const path of ["/settings", "/tokens", "/audit", `/backups/${id}`, `/backups/${id}/restore`, `/backups/${id}/delete`]) {
      await page.goto(path);
      await expectNoSidewaysScroll(page, path);
    }
  });

  test("a running restore's log shows on its page as it is written, without a reload", async ({ page }) => {
    resetSettings();
    setSettings({ enableBackupModule: true });
    const [id] = await makeBackups(page, 1);
    const backup = backupRows().find((b) => b.id === id)!;
    await page.goto(`/backups/${id}/restore`);
    await page.getByLabel(/Type the backup's name/).fill(backup.fileName);
    await page.getByRole("button", { name: "Restore" }).click();
    await expect(page).toHaveURL(/\/backups\/\d+$/);
    const log = page.getByTestId("backup-log");
    // Seen while the restore is still at work (its safety backup takes seconds), not only once it is over.
    await expect
      .poll(
        async () => {
          const text = await log.textContent();
          return text?.includes("Every entry matches the manifest") && !text.includes("Restore completed");
        },
        { timeout: 30_000, intervals: [200] },
      )
      .toBe(true);
    await expect(page.getByTestId("status")).toHaveText("completed", { timeout: 90_000 });
    await expect(log).toContainText("Restore completed");
    // Long lines wrap inside the box.
    const overflow = await log.evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await waitUntilNoJobRuns();
  });
});

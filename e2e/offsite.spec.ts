import { test, expect } from "@playwright/test";
import { startS3, type TestS3 } from "../tests/helpers/s3";
import { callAction, E2E, stateFile } from "./helpers";
import Database from "better-sqlite3";

// A real S3 server on loopback: the admin adds a destination on Settings, Check reaches it, and the
// secret never comes back to the page.
const SECRET = "e2e-offsite-secret-7q2x";
let s3: TestS3;

test.describe.configure({ mode: "serial" });
test.use({ storageState: stateFile("admin") });
test.beforeAll(async () => {
  s3 = await startS3(["e2e-bucket"]);
});
test.afterAll(async () => {
  const db = new Database(E2E.databaseFile, { timeout: 10_000 });
  db.prepare(`DELETE FROM "Setting" WHERE key LIKE 'offsite.destination.%' OR key IN ('retentionPolicy', 'retentionSizeCapMb')`).run();
  db.close();
  await s3?.close();
});

test("an admin adds an offsite destination, Check passes every step, and the secret is never shown", async ({ page }) => {
  await page.goto("/settings");
  await page.getByText("Add a destination").click();
  const form = page.getByTestId("destination-new");
  await form.getByLabel("Id (letters, digits, -)").fill("e2e");
  await form.getByLabel("Name", { exact: true }).fill("E2E bucket");
  await form.getByLabel("Endpoint (empty for AWS S3)").fill(s3.endpoint);
  await form.getByLabel("Region").fill("us-east-1");
  await form.getByLabel("Bucket", { exact: true }).fill("e2e-bucket");
  await form.getByLabel("Access key ID").fill("S3RVER");
  await form.getByLabel("Secret access key").fill(SECRET);
  await form.getByLabel(/Path-style/).check();
  await form.getByRole("button", { name: "Add destination" }).click();
  await expect(form.getByRole("status")).toContainText('Saved destination "E2E bucket"');

  await page.reload();
  const saved = page.getByTestId("destination-e2e");
  await expect(saved.getByLabel("Secret access key")).toHaveValue("********");
  expect(await page.content()).not.toContain(SECRET);
  await saved.getByRole("button", { name: "Check" }).click();
  await expect(saved.getByTestId("offsite-checks").getByLabel("passed")).toHaveCount(4);
  await expect(saved.getByText("The destination works")).toBeVisible();

  // A bucket that does not exist: the sentence says so.
  await saved.getByLabel("Bucket", { exact: true }).fill("no-such-bucket");
  await saved.getByRole("button", { name: "Save" }).click();
  await expect(saved.getByRole("status").first()).toContainText("Saved");
  await saved.getByRole("button", { name: "Check" }).click();
  await expect(saved.getByRole("alert").first()).toContainText('There is no bucket "no-such-bucket"');
});

test("retention on this server and a destination's size cap are settings, and the preview covers this server too", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/settings");
  await page.getByLabel("Retention on this server").selectOption("gfs");
  await page.getByLabel("Size cap on this server (MB)").fill("500");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.locator("form").getByRole("status").first()).toContainText(
    "retention on this server: grandfather-father-son, size cap on this server: 500 MB",
  );

  const saved = page.getByTestId("destination-e2e");
  await saved.getByLabel("Bucket", { exact: true }).fill("e2e-bucket");
  await saved.getByLabel("Size cap here (MB, 0 for none)").fill("2048");
  await saved.getByRole("button", { name: "Save" }).click();
  await expect(saved.getByRole("status").first()).toContainText("Saved");

  await page.reload();
  await expect(page.getByLabel("Retention on this server")).toHaveValue("gfs");
  await expect(page.getByTestId("destination-e2e").getByLabel("Size cap here (MB, 0 for none)")).toHaveValue("2048");
  const preview = page.getByTestId("offsite-retention-preview");
  await expect(preview).toContainText("this server:");
  await expect(preview).toContainText("e2e:");
  // Nothing runs off the side of a phone.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});

test.describe("offsite actions are for admins", () => {
  test.use({ storageState: stateFile("user") });
  test("a plain user posting the destination actions directly gets 403, and nothing is saved or probed", async ({ request }) => {
    const fields = { id: "sneaky", name: "x", endpoint: s3.endpoint, region: "us-east-1", bucket: "e2e-bucket", accessKeyId: "S3RVER", secretAccessKey: "x" };
    expect(await callAction(request, "/settings", "saveDestinationAction", fields)).toMatchObject({ ok: false, status: 403 });
    expect(await callAction(request, "/settings", "checkDestinationAction", { id: "e2e" })).toMatchObject({ ok: false, status: 403 });
    expect(await callAction(request, "/settings", "removeDestinationAction", { id: "e2e" })).toMatchObject({ ok: false, status: 403 });
    const db = new Database(E2E.databaseFile, { timeout: 10_000 });
    const keys = (db.prepare(`SELECT key FROM "Setting" WHERE key LIKE 'offsite.destination.%'`).all() as { key: string }[]).map((r) => r.key);
    db.close();
    expect(keys).toEqual(["offsite.destination.e2e"]);
  });
});

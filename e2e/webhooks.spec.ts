import { createHmac } from "node:crypto";
import { test, expect } from "@playwright/test";
import { startReceiver, type TestReceiver } from "../tests/helpers/webhook-receiver";
import { ageBackups, backupRows, callAction, resetSettings, setSettings, stateFile, waitUntilNoJobRuns } from "./helpers";

// A real HTTP receiver on loopback: the portal posts to it, and the secret must never come back to a page.
const SECRET = "e2e-webhook-signing-secret-7Qx2";
const TOKEN = "url-token-d41d8cd98f00b204";
let receiver: TestReceiver;

test.describe.configure({ mode: "serial" });
test.use({ storageState: stateFile("admin") });

test.beforeAll(async () => {
  receiver = await startReceiver();
});
test.afterAll(() => receiver.close());

const verifies = (secret: string, headers: Record<string, string | string[] | undefined>, raw: string) =>
  headers["x-safekeep-signature"] === "sha256=" + createHmac("sha256", secret).update(`${headers["x-safekeep-timestamp"]}.${raw}`).digest("hex");

test("an admin adds a signed webhook, tests it, and a backup tells it; the secret never comes back to a page", async ({ page, browser }) => {
  resetSettings();
  setSettings({ enableBackupModule: true });
  // Backups the specs before this one made would keep the portal from being stale: make them old.
  ageBackups(30);
  receiver.received.length = 0;
  receiver.fallback = { status: 200, body: "ok" };

  await page.goto("/settings");
  const add = page.getByRole("form", { name: "Add a webhook" });
  await expect(add).toBeVisible();
  await add.getByLabel("Name (optional)").fill("Ops endpoint");
  await add.getByLabel("URL").fill("ftp://example.com/hook");
  await add.getByLabel("Signing secret").fill(SECRET);
  await add.getByLabel("a job completed", { exact: true }).check();
  await add.getByRole("button", { name: "Add webhook" }).click();
  // Refused with a sentence beside the field, and what was typed is still there.
  await expect(add.getByText("Only http:// and https:// URLs can receive webhooks (this one starts with ftp:)").first()).toBeVisible();
  await expect(add.getByLabel("URL")).toHaveValue("ftp://example.com/hook");
  await expect(add.getByLabel("Name (optional)")).toHaveValue("Ops endpoint");

  await add.getByLabel("URL").fill(receiver.url(`/hooks/${TOKEN}`));
  await add.getByLabel("Signing secret").fill(SECRET);
  await add.getByRole("button", { name: "Add webhook" }).click();
  await expect(page.getByTestId("webhook")).toHaveCount(1);
  await expect(page.getByTestId("webhook")).toContainText("Ops endpoint");

  await page.reload();
  // WEBHOOK_SHOTS=1 refreshes the README's pictures of the panel.
  if (process.env.WEBHOOK_SHOTS) {
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.locator("#webhooks-heading").scrollIntoViewIfNeeded();
      await page.locator("section[aria-labelledby=webhooks-heading]").screenshot({ path: `docs/settings-webhooks-${width}.png` });
    }
    await page.setViewportSize({ width: 1280, height: 720 });
  }
  for (const html of [await page.content(), await (await page.request.get("/settings")).text()]) {
    expect(html).not.toContain(SECRET);
    expect(html).not.toContain(TOKEN);
  }

  await page.getByRole("button", { name: "Send a test to Ops endpoint" }).click();
  await expect(page.getByRole("status").filter({ hasText: "received the test" })).toHaveText("Ops endpoint received the test: it answered HTTP 200 OK: ok");
  const tests = () => receiver.received.filter((r) => r.headers["x-safekeep-event"] === "test");
  expect(tests()).toHaveLength(1);
  expect(verifies(SECRET, tests()[0]!.headers, tests()[0]!.raw)).toBe(true);
  // The portal's own maintenance tick found no backup yet (stale, one of the default events): told once.
  const stale = () => receiver.received.filter((r) => r.headers["x-safekeep-event"] === "stale");
  await expect.poll(stale, { timeout: 15_000 }).toHaveLength(1);
  expect(stale()[0]!.json).toMatchObject({ event: "stale" });

  receiver.fallback = { status: 410, body: "gone" };
  await page.getByRole("button", { name: "Send a test to Ops endpoint" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "did not accept" })).toHaveText(
    "Ops endpoint did not accept the test: it answered HTTP 410 Gone: gone (not retried: the receiver refused the message)",
  );
  receiver.fallback = { status: 200, body: "ok" };
  expect(stale()).toHaveLength(1);
  receiver.received.length = 0;

  // A backup from the portal: the receiver hears it, and the job's page says so.
  await waitUntilNoJobRuns();
  const before = new Set(backupRows().map((b) => b.id));
  await page.goto("/backups");
  await page.getByRole("button", { name: "Create backup" }).click();
  await expect.poll(() => backupRows().some((b) => !before.has(b.id))).toBe(true);
  await waitUntilNoJobRuns();
  const job = backupRows().find((b) => !before.has(b.id))!;
  expect(job.status).toBe("completed");
  const completed = () => receiver.received.filter((r) => r.headers["x-safekeep-event"] === "completed");
  await expect.poll(() => completed().length).toBe(1);
  const hit = completed()[0]!;
  expect(verifies(SECRET, hit.headers, hit.raw)).toBe(true);
  expect(hit.json).toMatchObject({ event: "completed", job: { id: job.id, fileName: job.fileName, status: "completed" } });

  await page.goto(`/backups/${job.id}`);
  await expect(page.getByTestId("job-steps")).toContainText(/webhook.*Sent to Ops endpoint \(HTTP 200\)/);
  const jobHtml = await page.content();
  expect(jobHtml).not.toContain(SECRET);
  expect(jobHtml).not.toContain(TOKEN);

  // Only an admin changes webhooks, even by calling the action directly.
  const userContext = await browser.newContext({ storageState: stateFile("user") });
  const refused = await callAction(userContext.request, "/settings", "saveWebhookAction", {
    kind: "slack",
    url: receiver.url("/intruder"),
    event_failed: "on",
    name: "",
    secret: "",
  });
  await userContext.close();
  expect(refused.ok).toBe(false);
  await page.goto("/settings");
  await expect(page.getByTestId("webhook")).toHaveCount(1);

  // Deleting it stops the messages.
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Delete Ops endpoint" }).click();
  await expect(page.getByTestId("webhook")).toHaveCount(0);
});

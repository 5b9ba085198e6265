import fs from "node:fs";
import path from "node:path";
import { test, expect, request as playwrightRequest, type Browser } from "@playwright/test";
import { backupRows, E2E, resetSettings, setSettings, stateFile, waitUntilNoJobRuns } from "./helpers";

async function makeToken(browser: Browser, who: "admin" | "user", name: string): Promise<string> {
  const context = await browser.newContext({ storageState: stateFile(who) });
  const page = await context.newPage();
  await page.goto("/tokens");
  await page.getByLabel("New token's name").fill(name);
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("new-token").textContent())!.trim();
  await context.close();
  expect(token).toMatch(/^sk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  return token;
}

const withToken = (token: string) => playwrightRequest.newContext({ baseURL: E2E.baseURL, extraHTTPHeaders: { Authorization: `Bearer ${token}` } });

test.describe.configure({ mode: "serial" });

test("a token drives the whole API, and a download resumes with Range", async ({ browser }) => {
  resetSettings();
  setSettings({ enableBackupModule: true });
  await waitUntilNoJobRuns();
  const token = await makeToken(browser, "admin", "script");
  const api = await withToken(token);

  expect((await api.get("/api/v1/backups")).status()).toBe(200);
  const started = await api.post("/api/v1/backups");
  expect(started.status()).toBe(202);
  const { id, url } = (await started.json()) as { id: number; url: string };
  await waitUntilNoJobRuns();
  const job = (await (await api.get(url)).json()) as { status: string; fileName: string; sha256: string; sizeBytes: number };
  expect(job.status).toBe("completed");
  expect(job.sha256).toMatch(/^[0-9a-f]{64}$/);
  const listed = (await (await api.get("/api/v1/backups")).json()) as { items: { id: number; sha256: string }[] };
  expect(listed.items.find((b) => b.id === id)?.sha256).toBe(job.sha256);

  const onDisk = fs.readFileSync(path.join(E2E.backupDir, job.fileName));
  const downloadUrl = `/api/v1/backups/download/${job.fileName}`;
  const full = await api.get(downloadUrl);
  expect(full.status()).toBe(200);
  expect(full.headers()["content-length"]).toBe(String(onDisk.length));
  expect(full.headers()["accept-ranges"]).toBe("bytes");

  // An interrupted download: the first part, then the rest from where it stopped.
  const half = Math.floor(onDisk.length / 2);
  const first = await api.get(downloadUrl, { headers: { Range: `bytes=0-${half - 1}` } });
  expect(first.status()).toBe(206);
  expect(first.headers()["content-range"]).toBe(`bytes 0-${half - 1}/${onDisk.length}`);
  const rest = await api.get(downloadUrl, { headers: { Range: `bytes=${half}-` } });
  expect(rest.status()).toBe(206);
  expect(Buffer.concat([await first.body(), await rest.body()]).equals(onDisk)).toBe(true);
  const beyond = await api.get(downloadUrl, { headers: { Range: `bytes=${onDisk.length}-` } });
  expect(beyond.status()).toBe(416);
  expect(beyond.headers()["content-range"]).toBe(`bytes */${onDisk.length}`);

  // Tokens are for the API only: pages still want a signed-in session.
  expect((await api.get("/backups", { maxRedirects: 0 })).status()).toBe(307);
  const doc = (await (await api.get("/api/v1/openapi.json")).json()) as { openapi: string; paths: Record<string, unknown> };
  expect(doc.openapi).toBe("3.1.0");
  expect(Object.keys(doc.paths)).toContain("/api/v1/backups/download/{filename}");

  expect((await api.delete(`/api/v1/backups/${job.fileName}`)).status()).toBe(204);
  expect(backupRows().find((b) => b.id === id)).toBeUndefined();
  await api.dispose();
});

test("missing, malformed, unknown and revoked tokens get 401; no access 403; module off 404", async ({ browser }) => {
  resetSettings();
  setSettings({ enableBackupModule: true, backupAccess: "user" });
  const userToken = await makeToken(browser, "user", "user script");
  const adminToken = await makeToken(browser, "admin", "to revoke");

  for (const header of [undefined, "Bearer", "Bearer not-a-token", `Bearer sk_000000000000_${"A".repeat(43)}`, "Basic YWRtaW46YWRtaW4="]) {
    const ctx = await playwrightRequest.newContext({ baseURL: E2E.baseURL, extraHTTPHeaders: header ? { Authorization: header } : {} });
    const response = await ctx.get("/api/v1/backups");
    expect(response.status(), String(header)).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("unauthenticated");
    await ctx.dispose();
  }

  const asUser = await withToken(userToken);
  expect((await asUser.get("/api/v1/backups")).status()).toBe(200);
  setSettings({ backupAccess: "admin" });
  expect((await asUser.get("/api/v1/backups")).status()).toBe(403);
  await asUser.dispose();

  const asAdmin = await withToken(adminToken);
  setSettings({ enableBackupModule: false });
  expect((await asAdmin.get("/api/v1/backups")).status()).toBe(404);
  setSettings({ enableBackupModule: true });
  expect((await asAdmin.get("/api/v1/backups")).status()).toBe(200);

  // Revoked on the page: refused at once; the page shows when it was last used.
  const context = await browser.newContext({ storageState: stateFile("admin") });
  const page = await context.newPage();
  await page.goto("/tokens");
  const row = page.getByTestId("token-row").filter({ hasText: "to revoke" });
  await expect(row).not.toContainText("—");
  await row.getByRole("button", { name: "Revoke to revoke" }).click();
  await expect(row).toContainText("revoked");
  await page.screenshot({ path: "test-results/screenshots/tokens.png", fullPage: true });
  await context.close();
  expect((await asAdmin.get("/api/v1/backups")).status()).toBe(401);
  await asAdmin.dispose();
  resetSettings();
});

import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { test, expect, request as playwrightRequest, type APIRequestContext, type APIResponse, type Browser } from "@playwright/test";
import { backupRows, callAction, E2E, rawRequest, resetSettings, setSettings, stateFile, waitUntilNoJobRuns, sameOrigin } from "./helpers";

// Bearer tokens against every route and error path: who is refused with what, what a token can and
// cannot do to other people's tokens, and downloads resumed with Range while delete-after-download is on.

test.describe.configure({ mode: "serial" });

function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(E2E.databaseFile, { readonly: true, timeout: 10_000 });
  const rows = db.prepare(sql).all(...params) as T[];
  db.close();
  return rows;
}

const tokenRows = () =>
  query<{ id: number; name: string; tokenHash: string; prefix: string; lastUsedAt: number | null; revokedAt: number | null; email: string }>(
    `SELECT t.id, t.name, t.tokenHash, t.prefix, t.lastUsedAt, t.revokedAt, u.email FROM "ApiToken" t JOIN "User" u ON u.id = t.userId ORDER BY t.id`,
  );

async function tokenFromPage(browser: Browser, who: "admin" | "user", name: string): Promise<string> {
  const context = await browser.newContext({ storageState: stateFile(who) });
  const page = await context.newPage();
  await page.goto("/backups");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API tokens" }).click();
  await page.getByLabel("New token's name").fill(name);
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("new-token").textContent())!.trim();
  // Shown once: a fresh visit lists the token by its prefix only.
  await page.reload();
  await expect(page.getByTestId("token-row").filter({ hasText: name })).toBeVisible();
  expect(await page.content()).not.toContain(token);
  await context.close();
  return token;
}

const bearer = (token: string) => playwrightRequest.newContext({ baseURL: E2E.baseURL, extraHTTPHeaders: { Authorization: `Bearer ${token}` } });

let completed: { id: number; fileName: string };
let admin: APIRequestContext;

test.beforeAll(async () => {
  resetSettings();
  setSettings({ enableBackupModule: true });
  await waitUntilNoJobRuns();
  admin = await playwrightRequest.newContext({ baseURL: E2E.baseURL, storageState: stateFile("admin"), extraHTTPHeaders: sameOrigin });
  expect((await admin.post("/api/v1/backups")).status()).toBe(202);
  await waitUntilNoJobRuns();
  completed = backupRows()
    .filter((b) => b.status === "completed")
    .at(-1)!;
});

test.afterAll(async () => {
  resetSettings();
  await admin.dispose();
});

function everyRoute(c: APIRequestContext): [string, () => Promise<APIResponse>][] {
  return [
    ["GET list", () => c.get("/api/v1/backups")],
    ["POST create", () => c.post("/api/v1/backups", { data: {} })],
    ["GET one", () => c.get(`/api/v1/backups/${completed.id}`)],
    ["POST cancel", () => c.post(`/api/v1/backups/${completed.id}/cancel`)],
    ["POST restore", () => c.post("/api/v1/backups/restore", { data: { fileName: completed.fileName, confirm: completed.fileName } })],
    ["DELETE", () => c.delete(`/api/v1/backups/${completed.fileName}`)],
    ["GET download", () => c.get(`/api/v1/backups/download/${completed.fileName}`)],
  ];
}

async function expectEveryRoute(c: APIRequestContext, status: number, code: string) {
  const before = backupRows();
  for (const [label, call] of everyRoute(c)) {
    const response = await call();
    expect(response.status(), label).toBe(status);
    expect(((await response.json()) as { error: { code: string } }).error.code, label).toBe(code);
  }
  expect(backupRows()).toEqual(before);
  expect(fs.existsSync(path.join(E2E.backupDir, completed.fileName))).toBe(true);
}

test("a token whose user lost access gets 403, a disabled module 404, a revoked token 401, on every route", async ({ browser }) => {
  setSettings({ backupAccess: "user" });
  const userToken = await tokenFromPage(browser, "user", "user's script");
  const adminToken = await tokenFromPage(browser, "admin", "admin's script");
  const asUser = await bearer(userToken);
  const asAdmin = await bearer(adminToken);
  expect(tokenRows().find((t) => t.name === "user's script")?.lastUsedAt).toBeNull();
  expect((await asUser.get("/api/v1/backups")).status()).toBe(200);
  expect(tokenRows().find((t) => t.name === "user's script")?.lastUsedAt).not.toBeNull();

  // Access follows the token's user as they are now, not as they were when it was made.
  setSettings({ backupAccess: "admin" });
  await expectEveryRoute(asUser, 403, "forbidden");

  setSettings({ enableBackupModule: false });
  await expectEveryRoute(asAdmin, 404, "not_found");
  setSettings({ enableBackupModule: true });

  const mine = tokenRows().find((t) => t.name === "admin's script")!;
  const page = await (await browser.newContext({ storageState: stateFile("admin") })).newPage();
  await page.goto("/tokens");
  await page.getByRole("button", { name: "Revoke admin's script" }).click();
  await expect(page.getByTestId("token-row").filter({ hasText: "admin's script" })).toContainText("revoked");
  await page.context().close();
  await expectEveryRoute(asAdmin, 401, "unauthenticated");
  expect(tokenRows().find((t) => t.id === mine.id)?.revokedAt).not.toBeNull();

  // Both acts audited, by name; the secret is in no table, only its hash.
  const audit = query<{ action: string; target: string; actorEmail: string }>(
    `SELECT action, target, actorEmail FROM "AuditEvent" WHERE action LIKE 'token.%'`,
  );
  expect(audit).toContainEqual(expect.objectContaining({ action: "token.create", actorEmail: E2E.admin.email }));
  expect(audit).toContainEqual({ action: "token.revoke", target: "admin's script", actorEmail: E2E.admin.email });
  const dump = JSON.stringify([query(`SELECT * FROM "AuditEvent"`), query(`SELECT * FROM "ApiToken"`)]);
  // sk_ + 12-character prefix + _ : what follows is the secret.
  expect(dump).not.toContain(adminToken.slice(16));
  expect(dump).not.toContain(userToken.slice(16));
  await asUser.dispose();
  await asAdmin.dispose();
});

test("token actions check access first, and nobody can revoke another person's token", async ({ browser }) => {
  resetSettings();
  setSettings({ enableBackupModule: true, backupAccess: "user" });
  const adminToken = await tokenFromPage(browser, "admin", "not yours");
  const target = tokenRows().find((t) => t.name === "not yours")!;
  const user = await playwrightRequest.newContext({ baseURL: E2E.baseURL, storageState: stateFile("user"), extraHTTPHeaders: sameOrigin });
  const anonymous = await playwrightRequest.newContext({ baseURL: E2E.baseURL });

  // A user with access may use the page, but another person's token id finds nothing.
  expect(await callAction(user, "/tokens", "revokeTokenAction", { id: String(target.id) })).toMatchObject({ ok: false, status: 404 });
  const asAdmin = await bearer(adminToken);
  expect((await asAdmin.get("/api/v1/backups")).status()).toBe(200);

  const count = tokenRows().length;
  for (const [settings, who, status] of [
    [{ backupAccess: "admin" }, user, 403],
    [{ backupAccess: "user" }, anonymous, 401],
    [{ enableBackupModule: false }, user, 404],
  ] as const) {
    setSettings(settings);
    expect(await callAction(who, "/tokens", "createTokenAction", { name: "sneaky" }), JSON.stringify(settings)).toMatchObject({ ok: false, status });
    expect(await callAction(who, "/tokens", "revokeTokenAction", { id: String(target.id) })).toMatchObject({ ok: false, status });
    expect((await who.get("/tokens", { maxRedirects: 0 })).status()).toBe(status === 401 ? 307 : status);
  }
  expect(tokenRows().length).toBe(count);
  expect(tokenRows().find((t) => t.id === target.id)?.revokedAt).toBeNull();

  // An empty or overlong name is refused with a message, not stored.
  setSettings({ enableBackupModule: true, backupAccess: "user" });
  expect(await callAction(user, "/tokens", "createTokenAction", { name: "   " })).toMatchObject({ ok: false, status: 422 });
  expect(await callAction(user, "/tokens", "createTokenAction", { name: "x".repeat(101) })).toMatchObject({ ok: false, status: 422 });
  expect(tokenRows().length).toBe(count);
  await Promise.all([user.dispose(), anonymous.dispose(), asAdmin.dispose()]);
});

const raw = (method: string, rawPath: string, token: string) => rawRequest(method, rawPath, { authorization: `Bearer ${token}` });

test("file names that try to leave the backup directory get a JSON 4xx through a token too", async ({ browser }) => {
  resetSettings();
  setSettings({ enableBackupModule: true });
  const token = await tokenFromPage(browser, "admin", "traversal");
  const before = backupRows();
  const names = [
    "..%2f..%2fportal.db",
    "%2e%2e%2fportal.db",
    "%2e%2e%2f%2e%2e%2fportal.db",
    "..%5cportal.db",
    "..\\portal.db",
    "a%00.zip",
    "x".repeat(300) + ".zip",
    "-rf.zip",
    "portal.db",
  ];
  for (const name of names) {
    for (const [method, prefix] of [
      ["GET", "/api/v1/backups/download/"],
      ["DELETE", "/api/v1/backups/"],
    ] as const) {
      const label = `${method} ${prefix}${name.slice(0, 40)}`;
      let { status, body, location } = await raw(method, prefix + name, token);
      if (status >= 300 && status < 400) {
        // Next normalises some paths with a same-origin redirect: follow it once.
        expect(location, label).toMatch(/^\/(?!\/)/);
        ({ status, body } = await raw(method, location!, token));
      }
      expect(status, label).toBeGreaterThanOrEqual(400);
      expect(status, label).toBeLessThan(500);
      expect(body).not.toContain("SQLite format");
      if (body.startsWith("{")) expect(JSON.parse(body).error.code, label).toMatch(/bad_request|not_found/);
    }
  }
  // A plain, well-formed name the portal does not know is 404, a malformed one 400.
  expect((await raw("DELETE", "/api/v1/backups/safekeep-20200101-000000-1.zip", token)).status).toBe(404);
  expect((await raw("GET", "/api/v1/backups/download/..%5cportal.zip", token)).status).toBe(400);
  expect((await raw("GET", "/api/v1/backups/download/a%00.zip", token)).status).toBe(400);
  expect(backupRows()).toEqual(before);
});

test("ranges resume a download; only a whole-file download triggers delete-after-download", async ({ browser }) => {
  resetSettings();
  setSettings({ enableBackupModule: true, deleteAfterDownload: true });
  const api = await bearer(await tokenFromPage(browser, "admin", "ranges"));
  const file = path.join(E2E.backupDir, completed.fileName);
  const onDisk = fs.readFileSync(file);
  const url = `/api/v1/backups/download/${completed.fileName}`;

  const tail = await api.get(url, { headers: { Range: "bytes=-100" } });
  expect(tail.status()).toBe(206);
  expect(tail.headers()["content-range"]).toBe(`bytes ${onDisk.length - 100}-${onDisk.length - 1}/${onDisk.length}`);
  expect((await tail.body()).equals(onDisk.subarray(-100))).toBe(true);

  // Resume: part, then everything from there on; even the rest to the last byte is not the whole download.
  const cut = 12_345;
  const first = await api.get(url, { headers: { Range: `bytes=0-${cut - 1}` } });
  const rest = await api.get(url, { headers: { Range: `bytes=${cut}-` } });
  expect([first.status(), rest.status()]).toEqual([206, 206]);
  expect(rest.headers()["content-length"]).toBe(String(onDisk.length - cut));
  expect(Buffer.concat([await first.body(), await rest.body()]).equals(onDisk)).toBe(true);
  expect(fs.existsSync(file)).toBe(true);

  const unsatisfiable = await api.get(url, { headers: { Range: `bytes=${onDisk.length + 10}-${onDisk.length + 20}` } });
  expect(unsatisfiable.status()).toBe(416);
  expect(unsatisfiable.headers()["content-range"]).toBe(`bytes */${onDisk.length}`);
  expect(fs.existsSync(file)).toBe(true);

  const whole = await api.get(url);
  expect(whole.status()).toBe(200);
  expect((await whole.body()).equals(onDisk)).toBe(true);
  // The file goes first, then the row, after the response has ended: wait for both.
  await expect.poll(() => fs.existsSync(file)).toBe(false);
  await expect.poll(() => backupRows().find((b) => b.id === completed.id)).toBeUndefined();
  await api.dispose();
});

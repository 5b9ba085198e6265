import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { encode } from "next-auth/jwt";
import { test, expect, request as playwrightRequest, type APIRequestContext, type APIResponse } from "@playwright/test";
import { actionId, backupRows, callAction, E2E, rawRequest, resetSettings, setSettings, stateFile, waitUntilNoJobRuns, sameOrigin } from "./helpers";

// Every route and server action against callers who must not get in, and every file-name parameter
// against names that try to leave the backup directory.

const COOKIE = "next-auth.session-token";
type Caller = "anonymous" | "forged" | "expired" | "garbage" | "user";
let contexts: Record<Caller | "admin" | "validForged", APIRequestContext>;
let completed: { id: number; fileName: string };
const canary = path.join(E2E.dataDir, "outside.zip");
const stray = path.join(E2E.backupDir, "safekeep-20200101-000000-424242.zip");

function adminId(): number {
  const db = new Database(E2E.databaseFile, { readonly: true });
  const row = db.prepare(`SELECT id FROM "User" WHERE email = ?`).get(E2E.admin.email) as { id: number };
  db.close();
  return row.id;
}

async function withCookie(value: string) {
  return playwrightRequest.newContext({ baseURL: E2E.baseURL, extraHTTPHeaders: { ...sameOrigin, cookie: `${COOKIE}=${value}` } });
}

test.beforeAll(async () => {
  const uid = adminId();
  const claims = { uid, email: E2E.admin.email, sub: String(uid) };
  contexts = {
    anonymous: await playwrightRequest.newContext({ baseURL: E2E.baseURL }),
    // The admin's claims, encrypted with another secret.
    forged: await withCookie(await encode({ token: claims, secret: "an-attacker-guessed-this-secret-000000" })),
    // The right secret, but expired an hour ago.
    expired: await withCookie(await encode({ token: claims, secret: E2E.sessionSecret, maxAge: -3600 })),
    garbage: await withCookie("eyJhbGciOiJub25lIn0.eyJ1aWQiOjF9."),
    user: await playwrightRequest.newContext({ baseURL: E2E.baseURL, storageState: stateFile("user"), extraHTTPHeaders: sameOrigin }),
    admin: await playwrightRequest.newContext({ baseURL: E2E.baseURL, storageState: stateFile("admin"), extraHTTPHeaders: sameOrigin }),
    // Same as `expired` but still valid: proves the forging is right, so `expired` fails for its expiry alone.
    validForged: await withCookie(await encode({ token: claims, secret: E2E.sessionSecret, maxAge: 600 })),
  };
  resetSettings();
  setSettings({ enableBackupModule: true });
  await waitUntilNoJobRuns();
  expect((await contexts.admin.post("/api/v1/backups")).status()).toBe(202);
  await waitUntilNoJobRuns();
  completed = backupRows()
    .filter((b) => b.status === "completed")
    .at(-1)!;
  fs.writeFileSync(canary, "CANARY outside the backup directory");
  fs.writeFileSync(stray, "STRAY file the portal never made");
});

test.afterAll(async () => {
  resetSettings();
  fs.rmSync(canary, { force: true });
  fs.rmSync(stray, { force: true });
  for (const c of Object.values(contexts)) await c.dispose();
});

test("a session forged with the right secret works, so the expired one is refused for its expiry alone", async () => {
  expect((await contexts.validForged.get("/api/v1/backups")).status()).toBe(200);
});

const refused: Record<Caller, number> = { anonymous: 401, forged: 401, expired: 401, garbage: 401, user: 403 };

for (const caller of Object.keys(refused) as Caller[]) {
  test(`${caller}: every API route is refused and nothing changes`, async () => {
    const c = contexts[caller];
    const before = backupRows();
    const calls: [string, () => Promise<APIResponse>][] = [
      ["GET list", () => c.get("/api/v1/backups")],
      ["POST create", () => c.post("/api/v1/backups", { data: {} })],
      ["GET one", () => c.get(`/api/v1/backups/${completed.id}`)],
      ["POST cancel", () => c.post(`/api/v1/backups/${completed.id}/cancel`)],
      ["DELETE", () => c.delete(`/api/v1/backups/${completed.fileName}`)],
      ["GET download", () => c.get(`/api/v1/backups/download/${completed.fileName}`)],
      ["POST restore", () => c.post("/api/v1/backups/restore", { data: { fileName: completed.fileName, confirm: completed.fileName } })],
    ];
    for (const [label, call] of calls) {
      const response = await call();
      expect(response.status(), label).toBe(refused[caller]);
      expect((await response.json()).error.code, label).toBe(refused[caller] === 401 ? "unauthenticated" : "forbidden");
    }
    expect(backupRows()).toEqual(before);
    expect(fs.existsSync(path.join(E2E.backupDir, completed.fileName))).toBe(true);
  });

  test(`${caller}: every page is refused`, async () => {
    const pages = [
      "/backups",
      `/backups/${completed.id}`,
      `/backups/${completed.id}/delete`,
      `/backups/${completed.id}/cancel`,
      `/backups/${completed.id}/restore`,
      "/settings",
      "/audit",
    ];
    for (const p of pages) {
      const response = await contexts[caller].get(p, { maxRedirects: 0 });
      if (caller === "user") {
        expect(response.status(), p).toBe(403);
      } else {
        expect(response.status(), p).toBe(307);
        expect(response.headers().location, p).toContain("/signin?callbackUrl=");
      }
    }
  });

  test(`${caller}: every server action is refused and nothing changes`, async () => {
    const before = backupRows();
    const c = contexts[caller];
    const id = String(completed.id);
    const results = [
      await callAction(c, "/backups", "createBackupAction"),
      await callAction(c, `/backups/${id}/delete`, "deleteBackupAction", { id, confirm: "yes" }),
      await callAction(c, `/backups/${id}/cancel`, "cancelBackupAction", { id, confirm: "yes" }),
      await callAction(c, "/settings", "saveSettingsAction", { backupDir: "/tmp/elsewhere", enableBackupModule: "on" }),
      await callAction(c, "/settings", "runChecksAction"),
      await callAction(c, `/backups/${id}/restore`, "startRestoreAction", { id, parts: "both", confirm: completed.fileName }),
    ];
    for (const r of results) expect(r).toMatchObject({ ok: false, status: refused[caller] });
    expect(backupRows()).toEqual(before);
  });
}

const raw = (method: string, rawPath: string, cookie: string) => rawRequest(method, rawPath, { cookie });

const hostileNames = [
  "../outside.zip",
  "..%2foutside.zip",
  "%2e%2e%2foutside.zip",
  "%2e%2e/outside.zip",
  "..%5coutside.zip",
  "..\\outside.zip",
  "....//outside.zip",
  "%2e%2e%5c%2e%2e%5coutside.zip",
  encodeURIComponent(canary),
  encodeURIComponent("/etc/passwd"),
  "%2fetc%2fpasswd",
  "C:%5cWindows%5cwin.ini",
  "outside.zip%00.zip",
  "safekeep%00",
  "a".repeat(5000) + ".zip",
  encodeURIComponent("\uff0e\uff0e\uff0foutside.zip"), // fullwidth ../
  encodeURIComponent("\u2024\u2024/outside.zip"), // one-dot leaders
  encodeURIComponent("safekeep-20200101-000000-1\u2024zip"),
  "%c0%ae%c0%ae%c0%afoutside.zip", // overlong UTF-8 ../
  path.basename(stray), // a plain name the portal never made
];

test("path traversal in every file-name parameter gets a clear 4xx and touches nothing outside", async () => {
  const state = JSON.parse(fs.readFileSync(stateFile("admin"), "utf8")) as { cookies: { name: string; value: string }[] };
  const cookie = state.cookies.map((c) => `${c.name}=${c.value}`).join("; ");
  const before = backupRows();
  for (const name of hostileNames) {
    for (const [method, prefix] of [
      ["GET", "/api/v1/backups/download/"],
      ["DELETE", "/api/v1/backups/"],
      ["GET", "/api/v1/backups/"],
      ["POST", "/api/v1/backups/"],
      ["GET", "/backups/"],
    ] as const) {
      const target = method === "POST" ? `${prefix}${name}/cancel` : `${prefix}${name}`;
      let { status, body, location } = await raw(method, target, cookie);
      if (status >= 300 && status < 400) {
        // Next normalises some paths (double slashes) with a same-origin redirect: follow it once.
        expect(location, target).toMatch(/^\/(?!\/)/);
        ({ status, body } = await raw(method, location!, cookie));
      }
      expect(status, `${method} ${target.slice(0, 120)}`).toBeGreaterThanOrEqual(400);
      expect(status, `${method} ${target.slice(0, 120)}`).toBeLessThan(500);
      expect(body).not.toContain("CANARY");
      expect(body).not.toContain("STRAY");
      expect(body).not.toMatch(/root:.*:0:0:/);
    }
  }
  // The restore endpoint takes its file name in the body.
  for (const name of hostileNames) {
    let fileName: string;
    try {
      fileName = decodeURIComponent(name);
    } catch {
      fileName = name;
    }
    const response = await contexts.admin.post("/api/v1/backups/restore", { data: { fileName, confirm: fileName } });
    expect(response.status(), fileName.slice(0, 80)).toBeGreaterThanOrEqual(400);
    expect(response.status(), fileName.slice(0, 80)).toBeLessThan(500);
    expect(await response.text()).not.toMatch(/CANARY|STRAY/);
  }
  expect(fs.readFileSync(canary, "utf8")).toContain("CANARY");
  expect(fs.readFileSync(stray, "utf8")).toContain("STRAY");
  expect(backupRows()).toEqual(before);
  // The real backup is still served: the refusals above are not a blanket refusal.
  expect((await contexts.admin.get(`/api/v1/backups/download/${completed.fileName}`)).status()).toBe(200);
});

test("malformed, mistyped and oversized JSON bodies get a clear 4xx and start nothing", async () => {
  const admin = contexts.admin;
  const before = backupRows().length;
  const json = { "Content-Type": "application/json" };
  const cases: [string, Parameters<APIRequestContext["post"]>[1], number][] = [
    ["malformed", { headers: json, data: "{not json" }, 400],
    ["an array", { headers: json, data: "[1,2]" }, 400],
    ["unknown field", { headers: json, data: JSON.stringify({ path: "../../etc" }) }, 400],
    ["a string", { headers: json, data: '"backup"' }, 400],
    ["not JSON", { headers: { "Content-Type": "text/plain" }, data: "hello" }, 415],
    ["oversized", { headers: json, data: JSON.stringify({ pad: "x".repeat(200_000) }) }, 413],
  ];
  for (const [label, options, status] of cases) {
    for (const url of ["/api/v1/backups", `/api/v1/backups/${completed.id}/cancel`]) {
      const response = await admin.post(url, options);
      expect(response.status(), `${label} ${url}`).toBe(status);
      expect((await response.json()).error.message, `${label} ${url}`).toBeTruthy();
    }
  }
  // The restore endpoint: the same bodies, each a clear 4xx, nothing started.
  for (const [label, options] of cases) {
    const response = await admin.post("/api/v1/backups/restore", options);
    expect(response.status(), `${label} restore`).toBeGreaterThanOrEqual(400);
    expect(response.status(), `${label} restore`).toBeLessThan(500);
    expect((await response.json()).error.message, `${label} restore`).toBeTruthy();
  }
  expect(backupRows().length).toBe(before);

  // Server actions: an oversized form is refused by the framework before the action runs.
  const settingsBefore = await (await admin.get("/settings")).text();
  const big = await admin.post("/settings", {
    headers: { "Next-Action": actionId("saveSettingsAction"), Accept: "text/x-component" },
    multipart: { "1_backupName": "x".repeat(3_000_000), "0": JSON.stringify([null, "$K1"]) },
    maxRedirects: 0,
  });
  expect(big.status()).toBe(413);
  expect(await (await admin.get("/settings")).text()).not.toContain("xxxxxxxxxx");
  expect(settingsBefore).toBeTruthy();

  // An empty JSON object is what the API accepts.
  const ok = await admin.post("/api/v1/backups", { headers: json, data: "{}" });
  expect(ok.status()).toBe(202);
  await waitUntilNoJobRuns();
});

import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import Database from "better-sqlite3";
import { test, expect } from "@playwright/test";
import { backupRows, E2E, rawRequest, resetSettings, setSettings, stateFile, waitUntilNoJobRuns } from "./helpers";

// The web surface seen from outside (issue 12, 10–16): raw HTTP as a browser on another origin, a client
// that walks away mid-download, HEAD requests, and session cookies kept after sign-out.

test.describe.configure({ mode: "serial" });

/** The session cookie a signed-in browser holds, as a Cookie header. */
function cookieOf(who: "admin" | "user"): string {
  const state = JSON.parse(fs.readFileSync(stateFile(who), "utf8")) as { cookies: { name: string; value: string }[] };
  return state.cookies.map((c) => `${c.name}=${c.value}`).join("; ");
}

function auditCount(action: string, target?: string): number {
  const db = new Database(E2E.databaseFile, { readonly: true, timeout: 10_000 });
  const row = (target === undefined
    ? db.prepare(`SELECT count(*) AS n FROM "AuditEvent" WHERE action = ?`).get(action)
    : db.prepare(`SELECT count(*) AS n FROM "AuditEvent" WHERE action = ? AND target = ?`).get(action, target)) as { n: number };
  db.close();
  return row.n;
}

/** Makes one backup as the admin would from the Backups page (same origin) and waits until it is done. */
async function freshBackup(): Promise<{ id: number; fileName: string; file: string }> {
  await waitUntilNoJobRuns();
  const started = await rawRequest("POST", "/api/v1/backups", { cookie: cookieOf("admin"), origin: E2E.baseURL, "sec-fetch-site": "same-origin" });
  expect(started.status, started.body).toBe(202);
  await waitUntilNoJobRuns();
  const row = backupRows().filter((b) => b.status === "completed").at(-1)!;
  return { ...row, file: path.join(E2E.backupDir, row.fileName) };
}

test.beforeAll(() => {
  resetSettings();
  setSettings({ enableBackupModule: true });
});

test.afterAll(() => {
  resetSettings();
});

test("HEAD on a download answers with headers only: no audit row, no delete-after-download", async () => {
  setSettings({ enableBackupModule: true, deleteAfterDownload: true });
  const backup = await freshBackup();
  const size = fs.statSync(backup.file).size;
  const url = `/api/v1/backups/download/${backup.fileName}`;
  const downloadsBefore = auditCount("backup.download", backup.fileName);

  const head = await rawRequest("HEAD", url, { cookie: cookieOf("admin") });
  expect(head.status).toBe(200);
  expect(head.headers["content-length"]).toBe(String(size));
  expect(head.headers["content-type"]).toBe("application/zip");
  expect(head.body).toBe("");
  const ranged = await rawRequest("HEAD", url, { cookie: cookieOf("admin"), range: "bytes=0-99" });
  expect(ranged.status).toBe(206);
  expect(ranged.headers["content-range"]).toBe(`bytes 0-99/${size}`);

  // Give a late delete a moment to show itself.
  await new Promise((r) => setTimeout(r, 1500));
  expect(auditCount("backup.download", backup.fileName)).toBe(downloadsBefore);
  expect(fs.existsSync(backup.file)).toBe(true);
  expect(fs.statSync(backup.file).size).toBe(size);
  expect(backupRows().some((b) => b.id === backup.id)).toBe(true);
  // Still refused to those without access, as GET is.
  expect((await rawRequest("HEAD", url, {})).status).toBe(401);
});

import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import Database from "better-sqlite3";
import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { E2E } from "./env.cjs";

export { E2E };

/** Raw HTTP, so that `..` and odd bytes reach the server as sent, not normalised by a URL parser. */
export function rawRequest(
  method: string,
  rawPath: string,
  headers: http.OutgoingHttpHeaders,
): Promise<{ status: number; body: string; location?: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: E2E.port, method, path: rawPath, headers }, (res) => {
      let body = "";
      res.setEncoding("latin1");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body, location: res.headers.location, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

/**
 * What a browser adds to a request from the portal's own page: cookie-authenticated API writes without it
 * are refused as cross-origin (lib/http/same-origin.ts).
 */
export const sameOrigin = { Origin: E2E.baseURL };

export const stateFile = (who: "admin" | "user") => path.join(E2E.stateDir, `${who}.json`);

function db() {
  return new Database(E2E.databaseFile, { timeout: 10_000 });
}

/** Stores settings the way the settings page does, for specs that are not about the settings page. */
export function setSettings(values: Record<string, unknown>): void {
  const conn = db();
  const upsert = conn.prepare(
    `INSERT INTO "Setting" ("key", "value", "updatedAt") VALUES (?, ?, ?)
     ON CONFLICT("key") DO UPDATE SET "value" = excluded."value", "updatedAt" = excluded."updatedAt"`,
  );
  for (const [key, value] of Object.entries(values)) upsert.run(key, JSON.stringify(value), Date.now());
  conn.close();
}

export function resetSettings(): void {
  const conn = db();
  conn.prepare(`DELETE FROM "Setting"`).run();
  conn.close();
}

/** Makes every backup made so far look `days` older, so a spec can see the portal call them stale whatever ran before it. */
export function ageBackups(days: number): void {
  const d = db();
  try {
    d.prepare(`UPDATE Backup SET createdAt = strftime('%Y-%m-%dT%H:%M:%f', createdAt, ?) || '+00:00'`).run(`-${days} days`);
  } finally {
    d.close();
  }
}

export function backupRows(): { id: number; fileName: string; status: string }[] {
  const conn = db();
  const rows = conn.prepare(`SELECT id, fileName, status FROM "Backup" ORDER BY id`).all() as { id: number; fileName: string; status: string }[];
  conn.close();
  return rows;
}

/** Background workers of recorded jobs still alive (their command line names the job command). */
function liveWorkers(): number[] {
  const conn = db();
  const rows = conn.prepare(`SELECT DISTINCT pid FROM "Backup" WHERE pid IS NOT NULL`).all() as { pid: number }[];
  conn.close();
  return rows
    .map((row) => row.pid)
    .filter((pid) => {
      try {
        return /\b(backup:run|restore:run|job:run)\b/.test(fs.readFileSync(`/proc/${pid}/cmdline`, "latin1"));
      } catch {
        return false;
      }
    });
}

/**
 * No job queued or running, and no worker left: a worker's post-job steps (retention, mail) run after its
 * row says the job ended, and retention may still remove a row a test has just counted.
 */
export async function waitUntilNoJobRuns(): Promise<void> {
  await expect.poll(() => backupRows().filter((b) => b.status === "queued" || b.status === "running").length, { timeout: 60_000 }).toBe(0);
  await expect.poll(() => liveWorkers().length, { timeout: 60_000 }).toBe(0);
}

export async function signIn(page: Page, account: { email: string; password: string }): Promise<void> {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/signin"));
}

export function actionId(exportedName: string): string {
  const manifest = JSON.parse(fs.readFileSync(".next/server/server-reference-manifest.json", "utf8")) as {
    node: Record<string, { exportedName: string }>;
  };
  const id = Object.entries(manifest.node).find(([, v]) => v.exportedName === exportedName)?.[0];
  if (!id) throw new Error(`No server action named ${exportedName} in the build`);
  return id;
}

/**
 * Calls a server action the way React does from a form: what anyone can do without the page, which is
 * why every action checks access itself. Returns the action's result.
 */
export async function callAction(
  request: APIRequestContext,
  pagePath: string,
  exportedName: string,
  fields: Record<string, string> = {},
): Promise<{ ok: boolean; status?: number; message: string }> {
  // React's reply format: the form's fields under `_1_`, then the arguments, which must come last.
  const multipart = new FormData();
  for (const [key, value] of Object.entries(fields)) multipart.append(`_1_${key}`, value);
  multipart.append("0", JSON.stringify([null, "$K1"]));
  const response = await request.post(pagePath, {
    headers: { "Next-Action": actionId(exportedName), Accept: "text/x-component" },
    multipart,
    maxRedirects: 0,
  });
  const text = await response.text();
  const line = text.split("\n").find((l) => l.startsWith("1:"));
  if (!line) return { ok: false, status: response.status(), message: text.slice(0, 200) };
  return JSON.parse(line.slice(2));
}

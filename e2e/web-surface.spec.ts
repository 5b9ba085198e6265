import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import Database from "better-sqlite3";
import { test, expect } from "@playwright/test";
import { backupRows, E2E, rawRequest, resetSettings, setSettings, signIn, stateFile, waitUntilNoJobRuns } from "./helpers";

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
  const row = (
    target === undefined
      ? db.prepare(`SELECT count(*) AS n FROM "AuditEvent" WHERE action = ?`).get(action)
      : db.prepare(`SELECT count(*) AS n FROM "AuditEvent" WHERE action = ? AND target = ?`).get(action, target)
  ) as { n: number };
  db.close();
  return row.n;
}

/** Makes one backup as the admin would from the Backups page (same origin) and waits until it is done. */
async function freshBackup(): Promise<{ id: number; fileName: string; file: string }> {
  await waitUntilNoJobRuns();
  const started = await rawRequest("POST", "/api/v1/backups", { cookie: cookieOf("admin"), origin: E2E.baseURL, "sec-fetch-site": "same-origin" });
  expect(started.status, started.body).toBe(202);
  await waitUntilNoJobRuns();
  const row = backupRows()
    .filter((b) => b.status === "completed")
    .at(-1)!;
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

/** A second origin on this machine, as another site's page would be: serves one HTML page. */
async function otherOrigin(html: string): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A small site to back up, so the whole archive fits in the connection's buffers (the hard case). */
function smallSite(): string {
  const dir = path.join(E2E.dataDir, "small-site");
  fs.mkdirSync(dir, { recursive: true });
  // Random bytes: stored as they are, so the archive is this big.
  if (!fs.existsSync(path.join(dir, "blob.bin"))) fs.writeFileSync(path.join(dir, "blob.bin"), randomBytes(1_500_000));
  return dir;
}

/** Asks for a download, reads the first bytes of the body, then drops the connection. */
function readOneByteAndLeave(url: string, cookie: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port: E2E.port, path: url, headers: { cookie } }, (res) => {
      res.once("data", (chunk: Buffer) => {
        res.pause();
        setTimeout(() => {
          req.destroy();
          expect(chunk.length).toBeLessThan(1_500_000);
          resolve(res.statusCode!);
        }, 500);
      });
    });
    req.on("error", reject);
  });
}

test.describe("delete after download", () => {
  test.beforeEach(() => {
    setSettings({ enableBackupModule: true, deleteAfterDownload: true, fileRoots: [smallSite()] });
  });
  test.afterAll(() => {
    setSettings({ deleteAfterDownload: false, fileRoots: [E2E.storageDir] });
  });

  test("a client that reads a byte and goes away does not delete the backup; a whole download does", async () => {
    const backup = await freshBackup();
    const url = `/api/v1/backups/download/${backup.fileName}`;
    expect(await readOneByteAndLeave(url, cookieOf("admin"))).toBe(200);
    await new Promise((r) => setTimeout(r, 3000));
    expect(fs.existsSync(backup.file)).toBe(true);
    expect(backupRows().some((b) => b.id === backup.id)).toBe(true);
    expect(auditCount("backup.delete-after-download", backup.fileName)).toBe(0);

    // The same backup, downloaded to the end by a client that keeps its connection open (as browsers do).
    const onDisk = fs.readFileSync(backup.file);
    const whole = await fetch(`${E2E.baseURL}${url}`, { headers: { cookie: cookieOf("admin") } });
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(onDisk)).toBe(true);
    // The archive goes first, then its checksum and log, then the row, then the audit line: waited for together.
    const left = () => ({
      file: fs.existsSync(backup.file),
      row: backupRows().some((b) => b.id === backup.id),
      audited: auditCount("backup.delete-after-download", backup.fileName),
    });
    await expect.poll(left, { timeout: 15_000 }).toEqual({ file: false, row: false, audited: 1 });
  });

  test("a link on another site's page cannot download (and so delete) a backup", async ({ browser }) => {
    const backup = await freshBackup();
    const target = `${E2E.baseURL}/api/v1/backups/download/${backup.fileName}`;
    const page = `<!doctype html><a id="go" href="${target}">free stuff</a>`;
    // Another port on the same address is the same site (the SameSite=Lax cookie goes along) but another
    // origin; "localhost" is another site altogether.
    const other = await otherOrigin(page);
    try {
      for (const host of ["127.0.0.1", "localhost"]) {
        const context = await browser.newContext({ storageState: stateFile("admin"), acceptDownloads: true });
        const tab = await context.newPage();
        await tab.goto(`http://${host}:${other.port}/`);
        const [response] = await Promise.all([tab.waitForResponse(target), tab.click("#go")]);
        expect(response.status(), host).toBe(403);
        expect(await response.text()).toContain("started from another site");
        await context.close();
      }
      await new Promise((r) => setTimeout(r, 1500));
      expect(fs.existsSync(backup.file)).toBe(true);
      expect(backupRows().some((b) => b.id === backup.id)).toBe(true);
      expect(auditCount("backup.download", backup.fileName)).toBe(0);
    } finally {
      await other.close();
    }
    // From the portal's own page (same origin), the download goes ahead.
    const onDisk = fs.readFileSync(backup.file);
    const context = await browser.newContext({ storageState: stateFile("admin"), acceptDownloads: true });
    const tab = await context.newPage();
    await tab.goto(`/backups/${backup.id}`);
    const [download] = await Promise.all([
      tab.waitForEvent("download"),
      tab
        .getByRole("link", { name: /download/i })
        .first()
        .click(),
    ]);
    expect(fs.readFileSync((await download.path())!).equals(onDisk)).toBe(true);
    await context.close();
    await expect.poll(() => fs.existsSync(backup.file), { timeout: 15_000 }).toBe(false);
  });
});

function jobRows(): { id: number; kind: string; fileName: string }[] {
  const db = new Database(E2E.databaseFile, { readonly: true, timeout: 10_000 });
  const rows = db.prepare(`SELECT id, kind, fileName FROM "Backup" ORDER BY id`).all() as { id: number; kind: string; fileName: string }[];
  db.close();
  return rows;
}

test.describe("API writes from another origin", () => {
  test("a text/plain form on another origin of the same site cannot start a restore", async ({ browser }) => {
    const backup = await freshBackup();
    const body = JSON.stringify({ fileName: backup.fileName, confirm: backup.fileName, only: "files", x: "" }).slice(0, -2);
    // enctype=text/plain sends name=value as is: the JSON above, closed by the value.
    const page = `<!doctype html><form method="POST" enctype="text/plain" action="${E2E.baseURL}/api/v1/backups/restore">
      <input type="hidden" name='${body}' value='"}'><button id="go">win a prize</button></form>`;
    const other = await otherOrigin(page);
    const jobsBefore = jobRows().length;
    const restoresBefore = auditCount("backup.restore");
    try {
      const context = await browser.newContext({ storageState: stateFile("admin") });
      const tab = await context.newPage();
      await tab.goto(`http://127.0.0.1:${other.port}/`);
      const [response] = await Promise.all([tab.waitForResponse(`${E2E.baseURL}/api/v1/backups/restore`), tab.click("#go")]);
      expect(response.status()).toBe(403);
      expect(await response.text()).toContain("did not come from Safekeep's own pages");
      await context.close();
    } finally {
      await other.close();
    }
    await new Promise((r) => setTimeout(r, 1000));
    expect(jobRows().length).toBe(jobsBefore);
    expect(auditCount("backup.restore")).toBe(restoresBefore);
  });

  test("raw requests with the session cookie: only the portal's own origin may change anything, and only with JSON", async () => {
    const backup = await freshBackup();
    const other = await otherOrigin("<!doctype html>");
    const cookie = cookieOf("admin");
    const json = { "content-type": "application/json" };
    const restoreBody = JSON.stringify({ fileName: backup.fileName, confirm: backup.fileName, only: "files" });
    const send = (method: string, url: string, headers: http.OutgoingHttpHeaders, body?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port: E2E.port, method, path: url, headers: { cookie, ...headers } }, (res) => {
          let text = "";
          res.on("data", (d) => (text += d));
          res.on("end", () => resolve({ status: res.statusCode!, body: text }));
        });
        req.on("error", reject);
        req.end(body);
      });
    const jobsBefore = jobRows().length;
    try {
      const foreign = `http://127.0.0.1:${other.port}`;
      const refused: [string, string, string, http.OutgoingHttpHeaders, string?][] = [
        ["another origin", "POST", "/api/v1/backups/restore", { origin: foreign, ...json }, restoreBody],
        ["another origin, text/plain", "POST", "/api/v1/backups/restore", { origin: foreign, "content-type": "text/plain" }, restoreBody],
        ["another origin says same-site", "POST", "/api/v1/backups", { origin: foreign, "sec-fetch-site": "same-site" }],
        ["cross-site", "POST", "/api/v1/backups", { "sec-fetch-site": "cross-site", ...json }, "{}"],
        ["an opaque origin", "POST", "/api/v1/backups", { origin: "null", ...json }, "{}"],
        ["neither Origin nor Sec-Fetch-Site", "POST", "/api/v1/backups", { ...json }, "{}"],
        ["delete from another origin", "DELETE", `/api/v1/backups/${backup.fileName}`, { origin: foreign }],
        ["cancel from another origin", "POST", `/api/v1/backups/${backup.id}/cancel`, { origin: foreign }],
        ["a look-alike origin", "POST", "/api/v1/backups", { origin: `${E2E.baseURL}.evil.example`, ...json }, "{}"],
      ];
      for (const [label, method, url, headers, body] of refused) {
        const response = await send(method, url, headers, body);
        expect(response.status, label).toBe(403);
        expect(JSON.parse(response.body).error.message, label).toMatch(/did not come from Safekeep's own pages/);
      }
      // The portal's own origin, but a body that is not JSON: 415 on every route, the restore included.
      for (const url of ["/api/v1/backups/restore", "/api/v1/backups", `/api/v1/backups/${backup.id}/cancel`]) {
        const response = await send("POST", url, { origin: E2E.baseURL, "content-type": "text/plain" }, restoreBody);
        expect(response.status, url).toBe(415);
        expect(JSON.parse(response.body).error.message).toMatch(/application\/json/);
      }
      expect(jobRows().length).toBe(jobsBefore);
      expect(fs.existsSync(backup.file)).toBe(true);
      // What the portal's own pages send goes through.
      const deleted = await send("DELETE", `/api/v1/backups/${backup.fileName}`, { origin: E2E.baseURL, "sec-fetch-site": "same-origin" });
      expect(deleted.status).toBe(204);
      expect(fs.existsSync(backup.file)).toBe(false);
    } finally {
      await other.close();
    }
  });
});

test("a session cookie kept from before signing out gets 401 afterwards", async ({ browser }) => {
  // An account of its own: signing out ends every session of the user, and other specs use the admin's.
  const leaver = { email: `leaver-${Date.now()}@e2e.test`, password: "leaver-password-for-tests" };
  execFileSync(process.execPath, ["dist/cli.mjs", "user:create", "--email", leaver.email, "--role", "admin", "--password-stdin"], {
    env: { ...process.env, DATABASE_URL: `file:${E2E.databaseFile}` },
    input: `${leaver.password}\n`,
    stdio: ["pipe", "ignore", "inherit"],
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, leaver);
  const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  expect((await rawRequest("GET", "/api/v1/backups", { cookie })).status).toBe(200);
  // Another browser of the same person, signed in too.
  const elsewhere = await browser.newContext();
  await signIn(await elsewhere.newPage(), leaver);

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/signin/);
  // The captured cookie, replayed as an attacker who copied it would: refused by the API and the pages.
  const replay = await rawRequest("GET", "/api/v1/backups", { cookie });
  expect(replay.status).toBe(401);
  expect((await rawRequest("GET", "/backups", { cookie })).location).toMatch(/\/signin/);
  // The other browser's session ended with it.
  const other = (await elsewhere.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  expect((await rawRequest("GET", "/api/v1/backups", { cookie: other })).status).toBe(401);
  await context.close();
  await elsewhere.close();
});

test("a forged X-Forwarded-For neither reaches the audit trail nor dodges the sign-in limit", async ({ browser }) => {
  const email = `nobody-${Date.now()}@e2e.test`;
  const lastFailure = () => {
    const db = new Database(E2E.databaseFile, { readonly: true, timeout: 10_000 });
    const row = db.prepare(`SELECT ip FROM "AuditEvent" WHERE action = 'sign-in.failed' AND actorEmail = ? ORDER BY id DESC LIMIT 1`).get(email) as {
      ip: string | null;
    };
    db.close();
    return row?.ip;
  };
  for (let i = 0; i < 6; i++) {
    // A new forged address each time, as a client rotating it to escape the limit would send.
    const context = await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": `6.6.6.${i}` } });
    const page = await context.newPage();
    await page.goto("/signin");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    if (i < 5) {
      await expect(page.getByText("Wrong email or password.")).toBeVisible();
      expect(lastFailure()).toBe("127.0.0.1");
    } else {
      // The sixth from the same real address is stopped, whatever the header says.
      await expect(page.getByText(/Too many sign-in attempts/)).toBeVisible();
    }
    await context.close();
  }
});

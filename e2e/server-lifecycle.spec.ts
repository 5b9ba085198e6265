import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { test, expect } from "@playwright/test";
import { E2E } from "./helpers";

// Portals of their own, beside the shared one: started with a bad configuration, behind HTTPS, and
// restarted while a backup runs.

const root = path.resolve(__dirname, "..");
const port = E2E.port + 50;
const base = `http://127.0.0.1:${port}`;
const account = { email: "lifecycle@e2e.test", password: "lifecycle-password-123" };

function instance(name: string, extra: Record<string, string> = {}) {
  const dir = path.join(E2E.dataDir, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "storage"), { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...E2E.isolatedEnv(dir),
    DATABASE_URL: `file:${path.join(dir, "portal.db")}`,
    NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
    NEXTAUTH_URL: base,
    BACKUP_DIR: path.join(dir, "backup"),
    BACKUP_FILE_ROOTS: path.join(dir, "storage"),
    BACKUP_RUNTIME_BINARY: process.execPath,
    BACKUP_MODULE_ENABLED: "true",
    ...extra,
  };
  execFileSync(process.execPath, ["scripts/prepare-db.mjs"], { cwd: root, env, stdio: "ignore" });
  execFileSync(process.execPath, ["dist/cli.mjs", "user:create", "--email", account.email, "--role", "admin", "--password-stdin"], {
    cwd: root,
    env,
    input: `${account.password}\n`,
    stdio: ["pipe", "ignore", "inherit"],
  });
  return { dir, env, db: path.join(dir, "portal.db") };
}

interface Server {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startServer(env: NodeJS.ProcessEnv): Server {
  // Its own process group, so that killing it cannot touch the test runner; the backup worker it starts
  // is detached into a group of its own too.
  const child = spawn(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: root,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function untilReady(server: Server) {
  await expect
    .poll(
      async () => {
        if (server.child.exitCode !== null) throw new Error(`server exited: ${server.output()}`);
        return fetch(`${base}/signin`).then(
          (r) => r.status,
          () => 0,
        );
      },
      { timeout: 60_000 },
    )
    .toBe(200);
}

function kill(server: Server) {
  try {
    process.kill(-server.child.pid!, "SIGKILL");
  } catch {
    // gone
  }
}

function setCookies(response: Response): string[] {
  return response.headers.getSetCookie();
}

/** Signs in the way the browser does, keeping cookies by hand (fetch keeps none, Secure or not). */
async function signIn(): Promise<{ cookies: string[]; sessionCookie: string }> {
  const csrf = await fetch(`${base}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const jar = setCookies(csrf).map((c) => c.split(";")[0]!);
  const response = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", cookie: jar.join("; ") },
    body: new URLSearchParams({ csrfToken, email: account.email, password: account.password, json: "true" }),
  });
  const cookies = setCookies(response);
  const sessionCookie = cookies.find((c) => /next-auth\.session-token=/.test(c));
  if (!sessionCookie) throw new Error(`no session cookie: ${response.status} ${cookies.join(" | ")}`);
  return { cookies, sessionCookie };
}

test("the portal refuses to start with a backup directory inside public/, and says why", async () => {
  const { env } = instance("public-dir", { BACKUP_DIR: "public/backups" });
  const server = startServer(env);
  const code = await Promise.race([server.exited, new Promise<string>((r) => setTimeout(() => r("still running"), 60_000))]);
  kill(server);
  expect(code).toBe(1);
  expect(server.output()).toMatch(/Safekeep refuses to start: BACKUP_DIR=public\/backups is inside public\//);
  expect(
    await fetch(`${base}/signin`).then(
      (r) => r.status,
      () => "refused",
    ),
  ).toBe("refused");
});

test("behind HTTPS the session cookie is Secure (and __Secure- prefixed), HttpOnly and SameSite", async () => {
  const { env } = instance("https", { NEXTAUTH_URL: `https://127.0.0.1:${port}` });
  const server = startServer(env);
  try {
    await untilReady(server);
    const { sessionCookie } = await signIn();
    expect(sessionCookie).toMatch(/^__Secure-next-auth\.session-token=/);
    expect(sessionCookie).toMatch(/;\s*Secure/i);
    expect(sessionCookie).toMatch(/;\s*HttpOnly/i);
    expect(sessionCookie).toMatch(/;\s*SameSite=Lax/i);
  } finally {
    kill(server);
    await server.exited;
  }
});

test("the portal restarted while a backup runs: the backup keeps going and the page picks up its progress", async ({ browser }) => {
  const { dir, env, db } = instance("restart");
  for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(dir, "storage", `blob-${i}.bin`), randomBytes(6_000_000));
  const readJob = (id: number) => {
    const conn = new Database(db, { readonly: true, timeout: 10_000 });
    const row = conn.prepare(`SELECT status, phase, bytesDone, pid FROM "Backup" WHERE id = ?`).get(id) as {
      status: string;
      phase: string;
      bytesDone: number;
      pid: number;
    };
    conn.close();
    return row;
  };

  let server = startServer(env);
  try {
    await untilReady(server);
    const { sessionCookie } = await signIn();
    const cookie = sessionCookie.split(";")[0]!;
    const created = await fetch(`${base}/api/v1/backups`, { method: "POST", headers: { cookie, origin: base } });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: number };
    await expect.poll(() => readJob(id).bytesDone, { timeout: 60_000 }).toBeGreaterThan(0);

    kill(server);
    await server.exited;
    const atKill = readJob(id);
    expect(atKill.status).toBe("running");
    // The worker outlives the portal and keeps writing progress.
    await expect.poll(() => readJob(id).bytesDone, { timeout: 30_000 }).toBeGreaterThan(atKill.bytesDone);

    server = startServer(env);
    await untilReady(server);
    const context = await browser.newContext({ baseURL: base });
    const [name, value] = [cookie.slice(0, cookie.indexOf("=")), cookie.slice(cookie.indexOf("=") + 1)];
    await context.addCookies([{ name, value, url: base }]);
    const page = await context.newPage();
    await page.goto(`/backups/${id}`);
    const bar = page.getByRole("progressbar");
    const status = page.getByTestId("status");
    // Either the bar is still moving when the page opens, or the backup ended meanwhile: both end completed.
    await expect(bar.or(status)).toBeVisible();
    if (await bar.isVisible()) {
      // Label and value read together: the phase can change between two reads.
      const [label, value] = await bar.evaluate((el) => [el.getAttribute("aria-label") ?? "", Number(el.getAttribute("aria-valuenow"))] as const);
      // Verifying counts the archive's bytes again from 0; every other phase shows what the worker did while the portal was down.
      if (!label.startsWith("verifying")) expect(value).toBeGreaterThan(0);
    }
    await expect(status).toHaveText("completed", { timeout: 120_000 });
    expect(readJob(id).status).toBe("completed");
    await context.close();
  } finally {
    kill(server);
    await server.exited;
  }
});

test.afterAll(() => {
  for (const name of ["public-dir", "https", "restart"]) fs.rmSync(path.join(E2E.dataDir, name), { recursive: true, force: true });
});

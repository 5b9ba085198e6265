// What the benchmark and the load run both need: a prepared portal database with an admin, the built
// portal started on loopback, and a signed-in session cookie, as a browser would get one.
import { execFileSync, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Migrates the database named by env.DATABASE_URL and adds an admin (password through stdin). */
export function prepareWithAdmin(env, account) {
  execFileSync(process.execPath, ["scripts/prepare-db.mjs"], { cwd: root, env, stdio: "ignore" });
  execFileSync(process.execPath, ["dist/cli.mjs", "user:create", "--email", account.email, "--role", "admin", "--password-stdin"], {
    cwd: root,
    env,
    input: `${account.password}\n`,
    stdio: ["pipe", "ignore", "inherit"],
  });
}

/** `next start` in its own process group (kill it with process.kill(-child.pid)). */
export function startPortal(env, port) {
  return spawn(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: root,
    env,
    detached: true,
    stdio: ["ignore", "ignore", "inherit"],
  });
}

export async function untilUp(base) {
  for (let i = 0; i < 600; i++) {
    if (
      (await fetch(`${base}/signin`).then(
        (r) => r.status,
        () => 0,
      )) === 200
    )
      return;
    await sleep(200);
  }
  throw new Error(`the portal at ${base} did not start`);
}

/** Signs in through next-auth's credentials flow; returns the `name=value` session cookie. */
export async function signIn(base, account) {
  const csrf = await fetch(`${base}/api/auth/csrf`);
  const { csrfToken } = await csrf.json();
  const jar = csrf.headers.getSetCookie().map((c) => c.split(";")[0]);
  const response = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", cookie: jar.join("; ") },
    body: new URLSearchParams({ csrfToken, email: account.email, password: account.password, json: "true" }),
  });
  const session = response.headers.getSetCookie().find((c) => c.startsWith("next-auth.session-token="));
  if (!session) throw new Error(`sign-in failed: ${response.status}`);
  return session.split(";")[0];
}

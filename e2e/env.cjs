// CommonJS so that both the plain-node test server and Playwright's TypeScript specs can load it.
const path = require("node:path");

const dataDir = path.join(__dirname, ".data");
// E2E_PORT lets two checkouts run their browser tests side by side.
const port = Number(process.env.E2E_PORT ?? 3100);
// One session secret for the run, shared by the test server and the specs (which forge expired tokens with
// it). Set here, in the Playwright process, so the server and the workers inherit it.
process.env.E2E_NEXTAUTH_SECRET ??= require("node:crypto").randomBytes(32).toString("base64url");

/** What the test server and the specs share: where its data lives and who can sign in. */
exports.E2E = {
  port,
  baseURL: `http://127.0.0.1:${port}`,
  dataDir,
  databaseFile: path.join(dataDir, "portal.db"),
  backupDir: path.join(dataDir, "backup"),
  storageDir: path.join(dataDir, "storage"),
  stateDir: path.join(__dirname, ".state"),
  sessionSecret: process.env.E2E_NEXTAUTH_SECRET,
  /**
   * What keeps a test portal (and the workers and CLI it runs) off the installation: its own root for
   * everything relative (var/, the mail outbox), and not the checkout's .env, which `next start` would
   * otherwise load (its NEXTAUTH_URL, its secrets key). The shared portal leaves the schedules to the tests.
   */
  isolatedEnv: (dir) => ({
    NEXT_TELEMETRY_DISABLED: "1",
    SAFEKEEP_ROOT: dir,
    SAFEKEEP_CLI: path.join(__dirname, "..", "dist", "cli.mjs"),
    MAIL_OUTBOX_DIR: path.join(dir, "mail-outbox"),
    __NEXT_PROCESSED_ENV: "true",
    SCHEDULER: "off",
  }),
  admin: { email: "admin@e2e.test", password: "admin-password-for-tests", role: "admin" },
  user: { email: "user@e2e.test", password: "user-password-for-tests", role: "user" },
};

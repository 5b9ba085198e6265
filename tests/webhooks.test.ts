import { createHmac, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { getJob } from "@/lib/backup";
import { runMaintenance } from "@/lib/backup/jobs/maintenance";
import { jobFiles } from "@/lib/backup/jobs/paths";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { runJob } from "@/lib/backup/jobs/run-job";
import { POST_JOB_STEPS } from "@/lib/backup/jobs/steps";
import { outboxDir } from "@/lib/mail/send";
import { deliver } from "@/lib/notify/deliver";
import { sendTestToWebhook } from "@/lib/notify/send-webhooks";
import { notifyStaleBackup } from "@/lib/notify/stale-webhooks";
import { listWebhookViews, saveWebhook, webhookInputSchema, type WebhookEvent, type WebhookKind } from "@/lib/notify/webhooks";
import { loadSettings, resolvedBackupDir } from "@/lib/settings";
import { configure, freshSite, makeFileTree, makeUser, testRoot } from "./helpers/fixtures";
import { startReceiver, type TestReceiver } from "./helpers/webhook-receiver";

/** The generic webhook's JSON, as a receiver reads it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a receiver's view of foreign JSON, checked field by field below
type Payload = Record<string, any>;

const SECRET = "whsec-test-0123456789-abcdef";
const APP = "https://backups.example.test";

/** What a receiver does with the README's scheme: HMAC-SHA256 over "<timestamp>.<raw body>". */
function verifies(secret: string, headers: Record<string, string | string[] | undefined>, raw: string): boolean {
  const expected = "sha256=" + createHmac("sha256", secret).update(`${headers["x-safekeep-timestamp"]}.${raw}`).digest("hex");
  return headers["x-safekeep-signature"] === expected;
}

/** The verification snippet exactly as the README gives it, so the documentation cannot drift from the sender. */
function readmeVerifier(): (raw: string, headers: Record<string, unknown>, secret: string) => boolean {
  const readme = fs.readFileSync(path.join(process.cwd(), "README.md"), "utf8");
  const code = readme.split("**Verifying a JSON webhook.**")[1]!.split("```js")[1]!.split("```")[0]!;
  const body = code.replace(/^import .*$/m, "");
  return new Function("createHmac", "timingSafeEqual", `${body}\nreturn verifySafekeep;`)(createHmac, timingSafeEqual);
}

async function addHook(url: string, kind: WebhookKind, events: WebhookEvent[], secret = "") {
  return saveWebhook(webhookInputSchema.parse({ name: "", kind, url, events, secret }));
}

async function backupNow(ownerId: number | null = null) {
  const settings = await loadSettings();
  const job = await runJob((await enqueueBackup(settings, ownerId)).id, { settings });
  return { job, view: (await getJob(job.id))!, log: fs.readFileSync(jobFiles(resolvedBackupDir(settings), job.fileName).log, "utf8") };
}

describe("webhooks", () => {
  let receiver: TestReceiver;

  beforeAll(async () => {
    process.env.APP_URL = APP;
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());
  beforeEach(async () => {
    receiver.received.length = 0;
    receiver.answers = [];
    receiver.fallback = { status: 200, body: "ok" };
    await freshSite();
    fs.rmSync(outboxDir(), { recursive: true, force: true });
    makeFileTree(testRoot("site"));
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
  });

  it("a generic webhook gets the job as JSON, signed so that its secret verifies it and another does not", async () => {
    await addHook(receiver.url("/generic"), "generic", ["completed", "failed"], SECRET);
    const owner = await makeUser("admin");
    const { job, view, log } = await backupNow(owner.id);
    expect(job.status).toBe("completed");

    expect(receiver.received).toHaveLength(1);
    const hit = receiver.received[0]!;
    expect(hit.path).toBe("/generic");
    expect(hit.headers["content-type"]).toBe("application/json");
    expect(hit.headers["x-safekeep-event"]).toBe("completed");
    expect(verifies(SECRET, hit.headers, hit.raw)).toBe(true);
    expect(verifies("another-secret-of-some-length", hit.headers, hit.raw)).toBe(false);
    // The timestamp is inside the signed text: the same body under another timestamp does not verify.
    expect(verifies(SECRET, { ...hit.headers, "x-safekeep-timestamp": "1" }, hit.raw)).toBe(false);
    expect(Math.abs(Number(hit.headers["x-safekeep-timestamp"]) - Date.now() / 1000)).toBeLessThan(120);
    const readme = readmeVerifier();
    expect(readme(hit.raw, hit.headers, SECRET)).toBe(true);
    expect(readme(hit.raw, hit.headers, "another-secret-of-some-length")).toBe(false);
    expect(readme(hit.raw.replace('"completed"', '"failed"'), hit.headers, SECRET)).toBe(false);
    // A message replayed ten minutes later is refused by the timestamp check.
    const old = String(Number(hit.headers["x-safekeep-timestamp"]) - 600);
    const replayed = {
      ...hit.headers,
      "x-safekeep-timestamp": old,
      "x-safekeep-signature": "sha256=" + createHmac("sha256", SECRET).update(`${old}.${hit.raw}`).digest("hex"),
    };
    expect(verifies(SECRET, replayed, hit.raw)).toBe(true);
    expect(readme(hit.raw, replayed, SECRET)).toBe(false);

    const body = hit.json as Payload;
    expect(body.event).toBe("completed");
    expect(body.url).toBe(`${APP}/backups/${job.id}`);
    expect(new Date(body.timestamp).getTime()).toBeGreaterThan(Date.now() - 120_000);
    expect(body.job).toMatchObject({
      id: job.id,
      kind: "backup",
      status: "completed",
      statusLabel: "completed",
      fileName: job.fileName,
      sizeBytes: job.sizeBytes,
      sha256: job.sha256,
      error: null,
    });
    expect(body.job.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(body.job.steps.map((s: { name: string }) => s.name)).toEqual(["retention"]);

    expect(view.status).toBe("completed");
    expect(view.steps.map((s) => [s.name, s.state])).toEqual([
      ["retention", "done"],
      ["webhook", "done"],
      ["notify", "done"],
    ]);
    expect(view.steps[1]!.detail).toMatch(/^Sent to JSON 127\.0\.0\.1:\d+ \(HTTP 200\)$/);
    // The mail (outbox here) says which webhooks heard.
    const [eml] = fs.readdirSync(outboxDir());
    const mail = await simpleParser(fs.readFileSync(path.join(outboxDir(), eml!)));
    expect(mail.text).toContain("After the job: webhook: Sent to JSON 127.0.0.1");

    // Never in clear: not in the steps, the log, the mail or the stored row.
    const row = await prisma.setting.findFirst({ where: { key: { startsWith: "webhook." } } });
    for (const text of [JSON.stringify(view.steps), log, mail.text ?? "", row!.value, JSON.stringify(await listWebhookViews())]) {
      expect(text).not.toContain(SECRET);
    }
    expect(row!.value).not.toContain("/generic");
  });

  it("a receiver that answers 500 gets the message again and takes it on the second try", async () => {
    await addHook(receiver.url("/flaky"), "generic", ["completed"], SECRET);
    receiver.answers = [{ status: 500, body: "database is down" }];
    const { view } = await backupNow();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[0]!.raw).toBe(receiver.received[1]!.raw);
    expect(receiver.received[0]!.headers["x-safekeep-delivery"]).toBe(receiver.received[1]!.headers["x-safekeep-delivery"]);
    expect(verifies(SECRET, receiver.received[1]!.headers, receiver.received[1]!.raw)).toBe(true);
    expect(view.steps.find((s) => s.name === "webhook")).toMatchObject({ state: "done" });
  });

  it("a receiver that answers 400 is not asked again: the step shows failed and why, the backup stays completed", async () => {
    const token = "T0KEN-in-the-url-9f8e7d6c";
    await addHook(receiver.url(`/refuses/${token}`), "generic", ["completed"], SECRET);
    // A hostile receiver echoes the URL's token and the secret: neither may reach the job's page or log.
    receiver.fallback = { status: 400, body: `bad request for /refuses/${token}\nsecret was ${SECRET}` };
    const { job, view, log } = await backupNow();

    expect(receiver.received).toHaveLength(1);
    expect(job.status).toBe("completed");
    expect(view.status).toBe("completed");
    expect(view.steps.map((s) => [s.name, s.state])).toEqual([
      ["retention", "done"],
      ["webhook", "failed"],
      ["notify", "done"],
    ]);
    const detail = view.steps[1]!.detail;
    expect(detail).toMatch(/Not delivered to JSON 127\.0\.0\.1:\d+: answered HTTP 400 Bad Request/);
    expect(detail).toContain("not retried");
    expect(log).toContain("After the job, webhook failed: Not delivered");
    for (const text of [JSON.stringify(view.steps), log]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(token);
    }
  });

  it("Slack and Discord get their own shapes: one line with the link; a webhook that does not want the event hears nothing", async () => {
    await addHook(receiver.url("/slack/services/T1/B2/slacktoken123"), "slack", ["failed"]);
    await addHook(receiver.url("/discord/api/webhooks/1/discordtoken"), "discord", ["failed"]);
    await addHook(receiver.url("/only-completed"), "generic", ["completed"], SECRET);
    // Nothing listens on port 9: the backup fails with a sentence, and a file name with @everyone must not ping.
    await configure({ databaseUrl: "mysql://root@127.0.0.1:9/nothing" });
    const { job, view } = await backupNow();
    expect(job.status).toBe("failed");

    expect(receiver.received.map((r) => r.path.split("/")[1]).sort()).toEqual(["discord", "slack"]);
    const slack = receiver.received.find((r) => r.path.startsWith("/slack"))!;
    const discord = receiver.received.find((r) => r.path.startsWith("/discord"))!;
    expect(Object.keys(slack.json as object)).toEqual(["text"]);
    const text = (slack.json as { text: string }).text;
    expect(text).toMatch(new RegExp(`^Safekeep: Backup FAILED: ${job.fileName} — .+ <${APP}/backups/${job.id}\\|Open in Safekeep>$`));
    expect(text).not.toContain("\n");
    expect(slack.headers["x-safekeep-signature"]).toBeUndefined();

    const content = (discord.json as { content: string; allowed_mentions: unknown }).content;
    expect(content).toMatch(new RegExp(`^Safekeep: Backup FAILED: ${job.fileName} — .+ ${APP}/backups/${job.id}$`));
    expect((discord.json as { allowed_mentions: unknown }).allowed_mentions).toEqual({ parse: [] });
    expect(view.steps.find((s) => s.name === "webhook")!.detail).toMatch(
      /^Sent to Slack 127\.0\.0\.1:\d+ \(HTTP 200\), Discord 127\.0\.0\.1:\d+ \(HTTP 200\)$/,
    );
  });

  it("a failed offsite copy and a backup with warnings are events of their own", async () => {
    await addHook(receiver.url("/offsite"), "generic", ["offsite_failed"], SECRET);
    await addHook(receiver.url("/warnings"), "slack", ["completed_with_warnings"]);
    await addHook(receiver.url("/completed"), "generic", ["completed"], SECRET);
    // A socket in the site's files cannot be archived: the backup completes with a warning.
    const socketServer = net.createServer();
    await new Promise<void>((r) => socketServer.listen(testRoot("site", "app.sock"), r));
    // The offsite copy is a post-job step before this one (another branch adds it); here, one that fails.
    const offsite = {
      name: "offsite",
      appliesTo: () => true,
      run: async () => {
        throw new Error("The bucket refused the upload: AccessDenied");
      },
    };
    POST_JOB_STEPS.splice(
      POST_JOB_STEPS.findIndex((s) => s.name === "webhook"),
      0,
      offsite,
    );
    try {
      const { job, view } = await backupNow();
      expect(job.status).toBe("completed");
      expect(job.warningCount).toBe(1);
      expect(view.steps.map((s) => [s.name, s.state])).toEqual([
        ["retention", "done"],
        ["offsite", "failed"],
        ["webhook", "done"],
        ["notify", "done"],
      ]);
      const byPath = Object.fromEntries(receiver.received.map((r) => [r.path, r.json as Payload]));
      expect(Object.keys(byPath).sort()).toEqual(["/offsite", "/warnings"]);
      expect(byPath["/offsite"]!.event).toBe("offsite_failed");
      expect(byPath["/offsite"]!.summary).toBe(
        `Backup completed with warnings, but its offsite copy failed: ${job.fileName} — The bucket refused the upload: AccessDenied`,
      );
      expect(byPath["/offsite"]!.job.statusLabel).toBe("completed with warnings");
      expect(byPath["/offsite"]!.job.steps).toEqual([
        { name: "retention", state: "done", detail: "Nothing to delete" },
        { name: "offsite", state: "failed", detail: "The bucket refused the upload: AccessDenied" },
      ]);
      expect(byPath["/warnings"]!.text).toMatch(new RegExp(`^Safekeep: Backup completed with 1 warning\\(s\\): ${job.fileName} \\(.+\\) <`));
    } finally {
      POST_JOB_STEPS.splice(POST_JOB_STEPS.indexOf(offsite), 1);
      socketServer.close();
    }
  });

  it("no webhook that wants the event: no webhook step on the job", async () => {
    await addHook(receiver.url("/only-failed"), "slack", ["failed"]);
    const { view } = await backupNow();
    expect(view.steps.map((s) => s.name)).toEqual(["retention", "notify"]);
    expect(receiver.received).toHaveLength(0);
  });

  it("a stale backup is told once per stale period, by whichever process gets there first", async () => {
    await addHook(receiver.url("/stale"), "generic", ["stale"], SECRET);
    await addHook(receiver.url("/not-stale"), "generic", ["failed"], SECRET);
    // Never backed up: stale. The portal's tick, the scheduler and a worker all run maintenance at once.
    await Promise.all([runMaintenance(), runMaintenance(), runMaintenance()]);
    await runMaintenance();
    expect(receiver.received.map((r) => r.path)).toEqual(["/stale"]);
    const first = receiver.received[0]!;
    expect(verifies(SECRET, first.headers, first.raw)).toBe(true);
    expect(first.json).toMatchObject({
      event: "stale",
      job: null,
      lastSuccessAt: null,
      url: `${APP}/backups`,
      summary: "No backup has completed yet, and the schedule expects one",
    });

    // A backup made four days ago (the daily schedule allows a day and two hours): a new stale period, told once.
    const old = await backupNow();
    receiver.received.length = 0;
    const longAgo = new Date(Date.now() - 4 * 24 * 3600 * 1000);
    await prisma.backup.update({ where: { id: old.job.id }, data: { createdAt: longAgo } });
    await runMaintenance();
    await runMaintenance();
    expect(receiver.received).toHaveLength(1);
    expect((receiver.received[0]!.json as { lastSuccessAt: string }).lastSuccessAt).toBe(longAgo.toISOString());

    // A fresh backup ends the period: nothing to tell.
    receiver.received.length = 0;
    await backupNow();
    await runMaintenance();
    expect(receiver.received).toHaveLength(0);
  });

  it("the stale notice is not sent while the module is off", async () => {
    await addHook(receiver.url("/stale"), "generic", ["stale"], SECRET);
    await configure({ enableBackupModule: false });
    expect(await notifyStaleBackup(await loadSettings())).toBeNull();
    expect(receiver.received).toHaveLength(0);
  });

  it("send a test: the receiver's answer in one sentence", async () => {
    const hook = await addHook(receiver.url("/test"), "discord", ["failed"]);
    receiver.fallback = { status: 204 };
    expect(await sendTestToWebhook(hook.id)).toEqual({
      ok: true,
      sentence: "Discord 127.0.0.1:" + new URL(receiver.url()).port + " received the test: it answered HTTP 204 No Content",
    });
    expect((receiver.received[0]!.json as { content: string }).content).toContain("A test message from Safekeep");

    receiver.fallback = { status: 404, body: "no_service" };
    const refused = await sendTestToWebhook(hook.id);
    expect(refused.ok).toBe(false);
    expect(refused.sentence).toMatch(/did not accept the test: it answered HTTP 404 Not Found: no_service \(not retried/);
  });

  it("network errors are retried a bounded number of times, each try with its own timeout, and said plainly", async () => {
    const closed = await startReceiver();
    const url = closed.url("/gone");
    await closed.close();
    const hook = { id: "x", name: "", kind: "generic" as const, url, events: ["failed" as const], secret: SECRET };
    const started = Date.now();
    const refused = await deliver(hook, "{}", "failed", { tries: 3, backoffMs: [50, 50] });
    expect(refused).toMatchObject({ ok: false, tries: 3 });
    expect(refused.detail).toBe("the connection was refused (nothing listens there) (ECONNREFUSED) (3 tries)");
    expect(Date.now() - started).toBeLessThan(5_000);

    // A receiver that never answers: each try ends at the timeout.
    const hang = (await import("node:http")).createServer(() => {});
    await new Promise<void>((r) => hang.listen(0, "127.0.0.1", r));
    const port = (hang.address() as { port: number }).port;
    const slow = await deliver({ ...hook, url: `http://127.0.0.1:${port}/` }, "{}", "failed", { tries: 2, timeoutMs: 300, backoffMs: [10] });
    expect(slow).toMatchObject({ ok: false, tries: 2, detail: "no answer within 300 ms (2 tries)" });
    hang.closeAllConnections();
    hang.close();
  });

  it("bad input is refused with a sentence that says what is wrong", () => {
    const problem = (v: Record<string, unknown>) => {
      const r = webhookInputSchema.safeParse({ name: "", kind: "generic", url: "https://example.com/h", events: ["failed"], secret: SECRET, ...v });
      return r.success ? null : r.error.issues[0]!.message;
    };
    expect(problem({})).toBeNull();
    expect(problem({ url: "ftp://example.com/h" })).toBe("Only http:// and https:// URLs can receive webhooks (this one starts with ftp:)");
    expect(problem({ url: "javascript:alert(1)" })).toMatch(/^Only http:\/\/ and https:\/\//);
    expect(problem({ url: "example.com/hook" })).toMatch(/^Not a URL: write it in full/);
    expect(problem({ url: "" })).toMatch(/^Enter the webhook's URL/);
    expect(problem({ url: "https://user:pw@example.com/h" })).toMatch(/^Put no user name or password in the URL/);
    expect(problem({ events: [] })).toBe("Choose at least one event");
    expect(problem({ kind: "teams" })).toBe("Choose JSON, Slack or Discord");
    expect(problem({ secret: "short" })).toMatch(/at least 16 characters/);
  });

  it("a JSON webhook without a signing secret is not saved", async () => {
    await expect(addHook("https://example.com/h", "generic", ["failed"])).rejects.toThrow(/needs a signing secret/);
    expect(await listWebhookViews()).toEqual([]);
  });

  it("a webhook edited with the URL and the secret left empty keeps both", async () => {
    const hook = await addHook(receiver.url("/kept"), "generic", ["failed"], SECRET);
    await saveWebhook(webhookInputSchema.parse({ id: hook.id, name: "Ops", kind: "generic", url: "", events: ["completed"], secret: "" }));
    const [view] = await listWebhookViews();
    expect(view).toMatchObject({ id: hook.id, label: "Ops", events: ["completed"], hasSecret: true, urlShown: `${new URL(receiver.url()).origin}/kept` });
    await backupNow();
    expect(receiver.received.map((r) => r.path)).toEqual(["/kept"]);
    expect(verifies(SECRET, receiver.received[0]!.headers, receiver.received[0]!.raw)).toBe(true);
  });
});

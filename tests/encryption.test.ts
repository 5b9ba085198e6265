import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { projectRoot } from "@/lib/config";
import { enqueueBackup, enqueueRestore } from "@/lib/backup/jobs/queue";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { runJob } from "@/lib/backup/jobs/run-job";
import { keysFromText } from "@/lib/backup/crypto/keys";
import { requestRestore } from "@/lib/backup/requests/request-restore";
import { loadSettings, resolvedBackupDir } from "@/lib/settings";
import { configure, freshSite, makeFileTree, makeSqliteDatabase, makeUser, testRoot } from "./helpers/fixtures";
import { snapshotTree } from "./helpers/trees";

const work = () => fs.mkdtempSync(path.join(projectRoot, "enc-"));
const cli = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(process.execPath, [process.env.SAFEKEEP_CLI!, ...args], { encoding: "utf8", env });

/** A key pair made by the real age-keygen: the identity file's text and its public key. */
function ageKeygen(dir: string): { file: string; text: string; recipient: string } {
  const file = path.join(dir, `key-${Math.random().toString(36).slice(2)}.txt`);
  execFileSync("age-keygen", ["-o", file], { stdio: "ignore" });
  const text = fs.readFileSync(file, "utf8");
  return { file, text, recipient: /public key: (age1[0-9a-z]+)/.exec(text)![1]! };
}

async function backUp() {
  const settings = await loadSettings();
  const done = await runBackup((await enqueueBackup(settings, null)).id, settings);
  expect(done.error).toBeNull();
  expect(done.status).toBe("completed");
  return { done, file: path.join(resolvedBackupDir(settings), done.fileName) };
}

/** The real age on a terminal (it reads a passphrase from nowhere else), through script(1). */
function ageDecryptWithPassphrase(file: string, out: string, passphrase: string): void {
  execFileSync("script", ["-qec", `age -d -o ${out} ${file}`, "/dev/null"], { input: `${passphrase}\n`, stdio: ["pipe", "ignore", "ignore"], timeout: 60_000 });
}

async function restoreWith(fileName: string, keys: string | null) {
  const settings = await loadSettings();
  const job = await enqueueRestore(settings, null, fileName, "both");
  return runJob(job.id, { settings, keys: keysFromText(keys) });
}

describe("encrypted backups (age v1)", () => {
  let dir: string;
  beforeEach(async () => {
    await freshSite();
    fs.rmSync(testRoot("db"), { recursive: true, force: true });
    makeFileTree(testRoot("site"), { bigFiles: 1, bigFileBytes: 3_000_000 });
    makeSqliteDatabase(testRoot("db/app.db"), 500);
    dir = work();
  });

  it("to a public key: the portal writes a .zip.age the real age opens with the key file, names included, and unzip finds it sound", async () => {
    const key = ageKeygen(dir);
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", encryption: "recipients", encryptionRecipients: [key.recipient] });
    const { done, file } = await backUp();
    expect(done.fileName).toMatch(/\.zip\.age$/);
    const stored = fs.readFileSync(file);
    expect(stored.subarray(0, 22).toString()).toBe("age-encryption.org/v1\n");
    // Names are encrypted too: no file name of the site appears in the stored bytes.
    expect(stored.includes(Buffer.from("index.html"))).toBe(false);
    expect(stored.includes(Buffer.from("manifest.json"))).toBe(false);
    // The SHA-256 recorded is the stored (encrypted) file's, as sha256sum would print it.
    expect(execFileSync("sha256sum", [file], { encoding: "utf8" }).split(" ")[0]).toBe(done.sha256);

    const zip = path.join(dir, "out.zip");
    execFileSync("age", ["-d", "-i", key.file, "-o", zip, file]);
    execFileSync("unzip", ["-tq", zip]);
    const listed = execFileSync("unzip", ["-Z1", zip], { encoding: "utf8" });
    expect(listed).toMatch(/files\/site\/index\.html/);
    expect(listed).toMatch(/manifest\.json/);
    // Read back after writing with the file key the worker kept: the log says so.
    const log = fs.readFileSync(file.replace(/\.zip\.age$/, ".log"), "utf8");
    expect(log).toMatch(/Encrypted \(age\) to 1 public key/);
    expect(log).toMatch(/Verified: every entry read back matches/);
  });

  it("with a passphrase: the real age opens it with the passphrase typed on its terminal", async () => {
    const passphrase = "correct horse battery staple";
    await configure({ fileRoots: ["site"], databaseUrl: "", encryption: "passphrase", encryptionPassphrase: passphrase });
    const { file } = await backUp();
    const zip = path.join(dir, "pass.zip");
    ageDecryptWithPassphrase(file, zip, passphrase);
    execFileSync("unzip", ["-tq", zip]);
    // The passphrase is sealed in the portal's database, never stored in clear.
    const row = await prisma.setting.findUnique({ where: { key: "encryptionPassphrase" } });
    expect(row?.value).toBeDefined();
    expect(row!.value).not.toContain(passphrase);
  });

  it("restores its own encrypted backup with the private key, streamed, and leaves no plaintext archive behind", async () => {
    const key = ageKeygen(dir);
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", encryption: "recipients", encryptionRecipients: [key.recipient] });
    const before = snapshotTree(testRoot("site"));
    const { done } = await backUp();
    fs.writeFileSync(testRoot("site/index.html"), "changed after the backup");
    fs.rmSync(testRoot("site/deep"), { recursive: true, force: true });

    const restored = await restoreWith(done.fileName, key.text);
    expect(restored.error).toBeNull();
    expect(restored.status).toBe("completed");
    expect(snapshotTree(testRoot("site"))).toEqual(before);
    // The safety backup is encrypted too, and nothing in the backup directory is a plain zip.
    const names = fs.readdirSync(resolvedBackupDir(await loadSettings()));
    expect(names.some((n) => /-safety-.*\.zip\.age$/.test(n))).toBe(true);
    for (const name of names) {
      const head = fs.readFileSync(path.join(resolvedBackupDir(await loadSettings()), name)).subarray(0, 4);
      expect(head.equals(Buffer.from("PK\x03\x04", "latin1"))).toBe(false);
    }
    // The private key is in no log and not in the portal's database.
    const identityLine = key.text.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-"))!;
    for (const name of names.filter((n) => n.endsWith(".log"))) {
      expect(fs.readFileSync(path.join(resolvedBackupDir(await loadSettings()), name), "utf8")).not.toContain(identityLine);
    }
    await prisma.$disconnect();
    const portalDb = fs.readFileSync(process.env.DATABASE_URL!.replace(/^file:/, ""));
    expect(portalDb.includes(Buffer.from(identityLine))).toBe(false);
  });

  it("restores an archive the real age encrypted from a Safekeep zip", async () => {
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db" });
    const before = snapshotTree(testRoot("site"));
    const { done, file } = await backUp();
    const key = ageKeygen(dir);
    const encryptedName = done.fileName.replace(/\.zip$/, "-by-age.zip.age");
    const encrypted = path.join(path.dirname(file), encryptedName);
    execFileSync("age", ["-r", key.recipient, "-o", encrypted, file]);
    fs.writeFileSync(testRoot("site/index.html"), "changed");
    // From the command line, with the key file age-keygen wrote.
    const run = cli(["backup:restore", encrypted, "--yes", "--identity", key.file]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(snapshotTree(testRoot("site"))).toEqual(before);
    const verified = cli(["backup:verify", encrypted, "--identity", key.file]);
    expect(verified.stdout).toMatch(/^OK: every entry matches its manifest/);
  });

  it("refuses a wrong key, a key file in the wrong format, a truncated and a tampered archive, with a sentence, changing nothing", async () => {
    const key = ageKeygen(dir);
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", encryption: "recipients", encryptionRecipients: [key.recipient] });
    const { done, file } = await backUp();
    fs.writeFileSync(testRoot("site/index.html"), "live content that must stay");
    const live = snapshotTree(testRoot("site"));
    const wrong = ageKeygen(dir);

    const wrongRun = cli(["backup:restore", done.fileName, "--yes", "--identity", wrong.file]);
    expect(wrongRun.status).toBe(1);
    expect(wrongRun.stderr).toMatch(/Wrong key: none of the given private keys opens this backup/);

    fs.writeFileSync(path.join(dir, "not-a-key.txt"), "ssh-ed25519 AAAAC3Nza something\n");
    const badFile = cli(["backup:restore", done.fileName, "--yes", "--identity", path.join(dir, "not-a-key.txt")]);
    expect(badFile.status).toBe(1);
    expect(badFile.stderr).toMatch(/not an age identity file/);

    const noKey = cli(["backup:verify", done.fileName]);
    expect(noKey.status).toBe(1);
    expect(noKey.stderr).toMatch(/encrypted/);

    const good = fs.readFileSync(file);
    const truncated = path.join(dir, "truncated.zip.age");
    fs.writeFileSync(truncated, good.subarray(0, good.length - 1000));
    const cut = cli(["backup:restore", truncated, "--yes", "--identity", key.file, "--no-safety-backup"]);
    expect(cut.status).toBe(1);
    expect(cut.stderr + cut.stdout).toMatch(/truncated|altered/);

    const tampered = path.join(dir, "tampered.zip.age");
    const flipped = Buffer.from(good);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x01;
    fs.writeFileSync(tampered, flipped);
    const flip = cli(["backup:verify", tampered, "--identity", key.file]);
    expect(flip.status).toBe(1);
    expect(flip.stderr).toMatch(/altered or truncated/);
    const flipRestore = cli(["backup:restore", tampered, "--yes", "--identity", key.file, "--no-safety-backup"]);
    expect(flipRestore.status).toBe(1);

    expect(snapshotTree(testRoot("site"))).toEqual(live);
  });

  it("the portal's restore request checks the pasted key first and refuses an unencrypted archive unless confirmed", async () => {
    const key = ageKeygen(dir);
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", encryption: "recipients", encryptionRecipients: [key.recipient] });
    const { done } = await backUp();
    const admin = await makeUser("admin");
    const caller = { user: admin, actor: { id: admin.id, email: admin.email }, settings: await loadSettings() };
    const ask = (extra: Record<string, unknown>) =>
      requestRestore({ fileName: done.fileName, confirm: done.fileName, restoreAccounts: false, allowUnencrypted: false, ...extra }, caller);
    const jobs = await prisma.backup.count();
    await expect(ask({})).rejects.toMatchObject({ code: "invalid", message: expect.stringMatching(/private key/) });
    await expect(ask({ key: ageKeygen(dir).text })).rejects.toMatchObject({
      code: "invalid",
      message: expect.stringMatching(/Wrong key.*nothing was restored/),
    });
    await expect(ask({ key: key.recipient })).rejects.toMatchObject({ code: "invalid", message: expect.stringMatching(/public key/) });
    expect(await prisma.backup.count()).toBe(jobs);

    // A plain zip while the settings encrypt: refused unless the admin ticks that it is trusted.
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", encryption: "off" });
    const plain = await backUp();
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", encryption: "recipients", encryptionRecipients: [key.recipient] });
    caller.settings = await loadSettings();
    await expect(
      requestRestore({ fileName: plain.done.fileName, confirm: plain.done.fileName, restoreAccounts: false, allowUnencrypted: false }, caller),
    ).rejects.toMatchObject({ code: "not_confirmed", message: expect.stringMatching(/not encrypted/) });
    expect(await prisma.backup.count()).toBe(jobs + 1);
  });

  it("a key given in the portal reaches the background worker on stdin: it is on no process's command line or environment", async () => {
    const key = ageKeygen(dir);
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", encryption: "recipients", encryptionRecipients: [key.recipient] });
    const { done } = await backUp();
    const identityLine = key.text.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-"))!;
    const seen: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
          for (const what of ["cmdline", "environ"]) {
            try {
              seen.push(fs.readFileSync(`/proc/${pid}/${what}`, "latin1"));
            } catch {
              // Ended meanwhile, or not ours to read.
            }
          }
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const admin = await makeUser("admin");
    const caller = { user: admin, actor: { id: admin.id, email: admin.email }, settings: await loadSettings() };
    const view = await requestRestore(
      { fileName: done.fileName, confirm: done.fileName, restoreAccounts: false, allowUnencrypted: false, key: key.text },
      caller,
    );
    const { waitFor } = await import("./helpers/wait");
    const ended = await waitFor(
      () => prisma.backup.findUniqueOrThrow({ where: { id: view.id } }),
      (b) => b.status === "completed" || b.status === "failed",
      120_000,
    );
    watching = false;
    await watcher;
    expect(ended.error).toBeNull();
    expect(ended.status).toBe("completed");
    expect(seen.some((s) => s.includes("--keys-on-stdin"))).toBe(true);
    expect(seen.some((s) => s.includes(identityLine) || s.includes(Buffer.from(identityLine).toString("base64")))).toBe(false);
  });

  it("the settings refuse a mistyped public key and a short passphrase, saying why", async () => {
    const { settingsSchema } = await import("@/lib/settings");
    const base = await loadSettings();
    const key = ageKeygen(dir).recipient;
    const typo = key.slice(0, 10) + (key[10] === "q" ? "p" : "q") + key.slice(11);
    const bad = settingsSchema.safeParse({ ...base, encryption: "recipients", encryptionRecipients: [typo] });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error!.issues)).toMatch(/checksum/);
    const short = settingsSchema.safeParse({ ...base, encryption: "passphrase", encryptionPassphrase: "short" });
    expect(JSON.stringify(short.error!.issues)).toMatch(/at least 12 characters/);
  });

  it("restore drills: unattended with the passphrase the portal keeps; with public keys refused in the portal, and proven from the CLI with --identity", async () => {
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", encryption: "passphrase", encryptionPassphrase: "a passphrase for drills" });
    const { done } = await backUp();
    const settings = await loadSettings();
    const { enqueueDrill } = await import("@/lib/backup/jobs/queue");
    const drilled = await runJob((await enqueueDrill(settings, null, done.fileName)).id, { settings });
    expect(drilled.error).toBeNull();
    expect(drilled.status).toBe("completed");

    const key = ageKeygen(dir);
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", encryption: "recipients", encryptionRecipients: [key.recipient] });
    // The passphrase of the earlier mode is still kept: it does not open these backups, so they are locked all the same.
    const locked = await backUp();
    const admin = await makeUser("admin");
    const { requestDrill } = await import("@/lib/backup/requests/drill");
    await expect(requestDrill({ user: admin, actor: { id: admin.id, email: admin.email }, settings: await loadSettings() })).rejects.toMatchObject({
      code: "invalid",
      message: expect.stringMatching(/encrypted to a public key.*--identity/),
    });
    const { drillInBackground } = await import("@/lib/schedule/portal-scheduler");
    expect(await drillInBackground(await loadSettings())).toMatchObject({ result: "skipped", detail: expect.stringMatching(/public key/) });

    const run = cli(["backup:drill", locked.done.fileName, "--json", "--identity", key.file]);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, backup: locked.done.fileName });
  });

  it("the environment alone sets encryption: BACKUP_ENCRYPTION_RECIPIENTS or BACKUP_ENCRYPTION_PASSPHRASE, and backup:create obeys", async () => {
    const { defaultSettings } = await import("@/lib/settings");
    const key = ageKeygen(dir);
    expect(defaultSettings({ BACKUP_ENCRYPTION_RECIPIENTS: ` ${key.recipient} ` } as unknown as NodeJS.ProcessEnv)).toMatchObject({
      encryption: "recipients",
      encryptionRecipients: [key.recipient],
    });
    expect(defaultSettings({ BACKUP_ENCRYPTION_PASSPHRASE: "from the environment" } as unknown as NodeJS.ProcessEnv)).toMatchObject({
      encryption: "passphrase",
    });
    expect(defaultSettings({} as NodeJS.ProcessEnv)).toMatchObject({ encryption: "off" });

    await configure({ fileRoots: ["site"], databaseUrl: "" });
    const run = cli(["backup:create", "--json"], { ...process.env, BACKUP_ENCRYPTION_RECIPIENTS: key.recipient });
    expect(run.status, run.stderr).toBe(0);
    const made = JSON.parse(run.stdout) as { fileName: string };
    expect(made.fileName).toMatch(/\.zip\.age$/);
    const zip = path.join(dir, "env.zip");
    execFileSync("age", ["-d", "-i", key.file, "-o", zip, path.join(resolvedBackupDir(await loadSettings()), made.fileName)]);
    execFileSync("unzip", ["-tq", zip]);
  });

  it("backup:verify asks for the passphrase on a terminal when it has no other way to it", async () => {
    const passphrase = "typed on the terminal only";
    await configure({ fileRoots: ["site"], databaseUrl: "", encryption: "passphrase", encryptionPassphrase: passphrase });
    const { file } = await backUp();
    // The portal no longer keeps it (say, it moved to public keys): only the person at the terminal knows it.
    await prisma.setting.deleteMany({ where: { key: "encryptionPassphrase" } });
    const command = `${process.execPath} ${process.env.SAFEKEEP_CLI} backup:verify ${file}`;
    // Typed only once the prompt shows, as a person would: the terminal must not echo it back.
    const onTerminal = (answer: string) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn("script", ["-qec", command, "/dev/null"], { env: process.env, stdio: ["pipe", "pipe", "pipe"] });
        let seen = "";
        let typed = false;
        child.stdout.on("data", (d: Buffer) => {
          seen += d.toString();
          if (!typed && seen.includes("Passphrase")) {
            typed = true;
            child.stdin.write(`${answer}\n`);
          }
        });
        child.on("error", reject);
        child.on("close", () => resolve(seen));
      });
    const typed = await onTerminal(passphrase);
    expect(typed).toMatch(/OK: every entry matches its manifest/);
    expect(typed).not.toContain(passphrase);
    expect(await onTerminal("not it")).toMatch(/Wrong passphrase/);
  });
});

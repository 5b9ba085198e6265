import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test, expect } from "@playwright/test";
import Database from "better-sqlite3";
import { backupRows, E2E, resetSettings, sameOrigin, setSettings, stateFile, waitUntilNoJobRuns } from "./helpers";

// Public-key encryption end to end: the key pair made on Settings, its private key shown once, a backup
// the real age opens with it, the restore page asking for it, and a plain zip downloaded decrypted.
test.describe.configure({ mode: "serial" });
test.use({ storageState: stateFile("admin") });

const work = fs.mkdtempSync(path.join(os.tmpdir(), "safekeep-e2e-age-"));
let identityFile = "";
let identityLine = "";
let backupId = 0;
let fileName = "";

test.afterAll(() => resetSettings());

test("an admin generates a key pair: the private key is shown once, downloadable, and never again", async ({ page }) => {
  resetSettings();
  setSettings({ enableBackupModule: true });
  await waitUntilNoJobRuns();
  await page.goto("/settings");
  await expect(page.getByTestId("encryption-state")).toContainText("Off");
  await page.getByRole("button", { name: "Generate a key pair" }).click();
  const shown = page.getByRole("alert").filter({ hasText: "shown only once" });
  await expect(shown).toBeVisible();
  identityFile = await shown.locator("textarea").inputValue();
  identityLine = identityFile.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-1"))!;
  expect(identityLine).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
  const download = page.waitForEvent("download");
  await shown.getByRole("link", { name: "Download the key file" }).click();
  const saved = path.join(work, "key.txt");
  await (await download).saveAs(saved);
  expect(fs.readFileSync(saved, "utf8")).toBe(identityFile);
  await page.screenshot({ path: "test-results/screenshots/encryption-key-once.png", fullPage: true });

  await page.reload();
  await expect(page.getByTestId("encryption-state")).toContainText("to public keys");
  expect(await page.content()).not.toContain(identityLine);
  const conn = new Database(E2E.databaseFile, { readonly: true });
  const rows = conn.prepare(`SELECT key, value FROM "Setting"`).all() as { key: string; value: string }[];
  conn.close();
  expect(JSON.stringify(rows)).not.toContain(identityLine);
  identityFile = saved;
});

test("its backups are .zip.age files the real age opens with that key, and the list offers them as stored", async ({ page }) => {
  const started = await page.request.post("/api/v1/backups", { headers: sameOrigin });
  expect(started.status()).toBe(202);
  backupId = ((await started.json()) as { id: number }).id;
  await waitUntilNoJobRuns();
  const row = backupRows().find((b) => b.id === backupId)!;
  expect(row.status).toBe("completed");
  expect(row.fileName).toMatch(/\.zip\.age$/);
  fileName = row.fileName;
  const plain = path.join(work, "plain.zip");
  execFileSync("age", ["-d", "-i", identityFile, "-o", plain, path.join(E2E.backupDir, fileName)]);
  execFileSync("unzip", ["-tq", plain]);

  const stored = await page.request.get(`/api/v1/backups/download/${fileName}`);
  expect(stored.status()).toBe(200);
  expect((await stored.body()).equals(fs.readFileSync(path.join(E2E.backupDir, fileName)))).toBe(true);
});

test("download decrypted: the right key gives the plain zip; a wrong one a sentence", async ({ page }) => {
  const url = `/api/v1/backups/download/${fileName}/decrypted`;
  const wrong = await page.request.post(url, { headers: sameOrigin, data: { key: "AGE-SECRET-KEY-1" + "Q".repeat(58) } });
  expect(wrong.status()).toBe(422);
  expect(((await wrong.json()) as { error: { message: string } }).error.message).toMatch(/not an age identity file|Wrong key/);
  const right = await page.request.post(url, { headers: sameOrigin, data: { key: fs.readFileSync(identityFile, "utf8") } });
  expect(right.status()).toBe(200);
  expect(right.headers()["content-disposition"]).toContain(fileName.replace(/\.age$/, ""));
  const zip = path.join(work, "decrypted.zip");
  fs.writeFileSync(zip, await right.body());
  execFileSync("unzip", ["-tq", zip]);
});

test("the restore page asks for the private key, refuses a wrong one with nothing started, and restores with the right one", async ({ page }) => {
  const readme = path.join(E2E.storageDir, "uploads/readme.txt");
  const original = fs.readFileSync(readme, "utf8");
  fs.writeFileSync(readme, "changed after the encrypted backup\n");
  const jobs = backupRows().length;

  await page.goto(`/backups/${backupId}/restore`);
  await expect(page.getByRole("heading", { name: "Restore this encrypted backup?" })).toBeVisible();
  const other = path.join(work, "other.txt");
  execFileSync("age-keygen", ["-o", other], { stdio: "ignore" });
  await page.getByLabel(/Private key \(AGE-SECRET-KEY-1…\) or passphrase/).fill(fs.readFileSync(other, "utf8"));
  await page.getByLabel(/Type the backup's name/).fill(fileName);
  await page.getByRole("button", { name: "Restore" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Wrong key" })).toContainText("nothing was restored");
  expect(backupRows()).toHaveLength(jobs);

  // The key file picked from disk, as an owner would.
  await page.getByLabel("Or pick the key file:").setInputFiles(identityFile);
  await expect(page.getByLabel(/Private key \(AGE-SECRET-KEY-1…\) or passphrase/)).toHaveValue(/AGE-SECRET-KEY-1/);
  await page.screenshot({ path: "test-results/screenshots/restore-encrypted.png", fullPage: true });
  await page.getByRole("button", { name: "Restore" }).click();
  await expect(page).toHaveURL(/\/backups\/\d+$/);
  await expect(page.getByTestId("status")).toHaveText("completed", { timeout: 90_000 });
  expect(fs.readFileSync(readme, "utf8")).toBe(original);
  expect(await page.content()).not.toContain(identityLine);
  await waitUntilNoJobRuns();
});

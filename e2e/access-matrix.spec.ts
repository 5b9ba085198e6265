import { test, expect, request as playwrightRequest, type APIRequestContext } from "@playwright/test";
import { backupRows, callAction, E2E, resetSettings, setSettings, stateFile, waitUntilNoJobRuns, sameOrigin } from "./helpers";

type Who = "anonymous" | "user" | "admin";
const everyone: Who[] = ["anonymous", "user", "admin"];

/** What each kind of caller must get while the module is enabled (backupAccess: admin). */
const enabledAnswer: Record<Who, number> = { anonymous: 401, user: 403, admin: 200 };

let contexts: Record<Who, APIRequestContext>;
let backup: { id: number; fileName: string };

test.beforeAll(async () => {
  contexts = {
    anonymous: await playwrightRequest.newContext({ baseURL: E2E.baseURL }),
    user: await playwrightRequest.newContext({ baseURL: E2E.baseURL, storageState: stateFile("user"), extraHTTPHeaders: sameOrigin }),
    admin: await playwrightRequest.newContext({ baseURL: E2E.baseURL, storageState: stateFile("admin"), extraHTTPHeaders: sameOrigin }),
  };
  resetSettings();
  setSettings({ enableBackupModule: true });
  await waitUntilNoJobRuns();
  expect((await contexts.admin.post("/api/v1/backups")).status()).toBe(202);
  await waitUntilNoJobRuns();
  backup = backupRows()
    .filter((b) => b.status === "completed")
    .at(-1)!;
  expect(backup).toBeDefined();
});

test.afterAll(async () => {
  resetSettings();
  for (const c of Object.values(contexts)) await c.dispose();
});

const pages = () => ["/backups", "/tokens", `/backups/${backup.id}`, `/backups/${backup.id}/delete`, `/backups/${backup.id}/restore`];

for (const enabled of [false, true]) {
  test.describe(`module ${enabled ? "enabled" : "disabled"}`, () => {
    test.beforeEach(() => {
      resetSettings();
      setSettings({ enableBackupModule: enabled });
    });

    for (const who of everyone) {
      test(`backup pages for ${who}`, async () => {
        for (const path of pages()) {
          const response = await contexts[who].get(path, { maxRedirects: 0 });
          const expected = !enabled ? 404 : who === "anonymous" ? 307 : enabledAnswer[who];
          expect(response.status(), path).toBe(expected);
          if (expected === 307) expect(response.headers().location).toContain(`/signin?callbackUrl=${encodeURIComponent(path)}`);
        }
      });

      test(`settings page for ${who}`, async () => {
        const response = await contexts[who].get("/settings", { maxRedirects: 0 });
        expect(response.status()).toBe({ anonymous: 307, user: 403, admin: 200 }[who]);
      });

      test(`API routes for ${who}`, async () => {
        const expected = enabled ? enabledAnswer[who] : 404;
        const calls: [string, () => Promise<{ status(): number; json(): Promise<unknown> }>][] = [
          ["GET list", () => contexts[who].get("/api/v1/backups")],
          ["GET one", () => contexts[who].get(`/api/v1/backups/${backup.id}`)],
          ["GET download", () => contexts[who].get(`/api/v1/backups/download/${backup.fileName}`)],
        ];
        for (const [label, call] of calls) {
          const response = await call();
          expect(response.status(), label).toBe(expected);
          if (expected !== 200) {
            const body = (await response.json()) as { error: { code: string } };
            expect(body.error.code, label).toBe({ 401: "unauthenticated", 403: "forbidden", 404: "not_found" }[expected]);
          }
        }
        // A restore that passes the access check is refused for its wrong confirmation, and nothing starts.
        const restore = await contexts[who].post("/api/v1/backups/restore", { data: { fileName: backup.fileName, confirm: "wrong" } });
        expect(restore.status(), "POST restore").toBe(enabled && who === "admin" ? 422 : expected);

        // A delete that passes the access check finds no such file; one that does not never looks.
        const del = await contexts[who].delete("/api/v1/backups/safekeep-20200101-000000-999999.zip");
        const body = (await del.json()) as { error: { message: string } };
        if (enabled && who === "admin") {
          expect(del.status()).toBe(404);
          expect(body.error.message).toBe("No such backup");
        } else {
          expect(del.status()).toBe(expected);
        }
      });

      test(`server actions for ${who}`, async () => {
        const denied = !enabled ? 404 : who === "admin" ? null : enabledAnswer[who];
        const del = await callAction(contexts[who], `/backups/${backup.id}/delete`, "deleteBackupAction", { id: "999999", confirm: "yes" });
        if (denied) expect(del).toMatchObject({ ok: false, status: denied });
        else expect(del).toMatchObject({ ok: false, status: 404, message: "That backup no longer exists" });

        const restore = await callAction(contexts[who], `/backups/${backup.id}/restore`, "startRestoreAction", {
          id: String(backup.id),
          parts: "both",
          confirm: "wrong.zip",
        });
        expect(restore).toMatchObject({ ok: false, status: denied ?? 422 });

        // Settings are admin-only whatever the module's state; an empty form is refused, and nothing saved.
        const save = await callAction(contexts[who], "/settings", "saveSettingsAction", {});
        expect(save).toMatchObject({ ok: false, status: { anonymous: 401, user: 403, admin: 422 }[who] });

        const before = backupRows().length;
        const create = await callAction(contexts[who], "/backups", "createBackupAction");
        if (denied) {
          expect(create).toMatchObject({ ok: false, status: denied });
          expect(backupRows().length).toBe(before);
        } else {
          expect(create).toMatchObject({ ok: true });
          await waitUntilNoJobRuns();
        }
      });
    }
  });
}

test("a user passes everywhere once backupAccess is user, settings excepted", async () => {
  resetSettings();
  setSettings({ enableBackupModule: true, backupAccess: "user" });
  for (const path of pages()) expect((await contexts.user.get(path, { maxRedirects: 0 })).status(), path).toBe(200);
  expect((await contexts.user.get("/api/v1/backups")).status()).toBe(200);
  expect((await contexts.user.get(`/api/v1/backups/download/${backup.fileName}`)).status()).toBe(200);
  expect((await contexts.user.get("/settings", { maxRedirects: 0 })).status()).toBe(403);
  expect((await contexts.anonymous.get("/api/v1/backups")).status()).toBe(401);
});

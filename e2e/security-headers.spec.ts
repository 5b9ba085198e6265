import { test, expect, request as playwrightRequest } from "@playwright/test";
import { backupRows, E2E, resetSettings, setSettings, stateFile, waitUntilNoJobRuns, sameOrigin } from "./helpers";

function directives(csp: string): Map<string, string> {
  return new Map(
    csp
      .split(";")
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => [d.split(/\s+/)[0]!, d] as [string, string]),
  );
}

function expectCommonHeaders(headers: Record<string, string>, label: string) {
  expect(headers["x-content-type-options"], label).toBe("nosniff");
  expect(headers["referrer-policy"], label).toBe("same-origin");
  expect(headers["x-frame-options"], label).toBe("DENY");
  expect(directives(headers["content-security-policy"] ?? "").get("frame-ancestors"), label).toBe("frame-ancestors 'none'");
  expect(headers["x-powered-by"], label).toBeUndefined();
}

test.describe("security headers", () => {
  test.beforeAll(() => {
    resetSettings();
    setSettings({ enableBackupModule: true });
  });
  test.afterAll(() => resetSettings());

  test("pages: a nonce-based script policy without 'unsafe-inline', a new nonce each time, on every script", async () => {
    const admin = await playwrightRequest.newContext({ baseURL: E2E.baseURL, storageState: stateFile("admin"), extraHTTPHeaders: sameOrigin });
    const anonymous = await playwrightRequest.newContext({ baseURL: E2E.baseURL });
    const nonces = new Set<string>();
    for (const [context, path] of [
      [anonymous, "/signin"],
      [admin, "/backups"],
      [admin, "/settings"],
      [admin, "/audit"],
      [anonymous, "/no-such-page"],
    ] as const) {
      const response = await context.get(path, { maxRedirects: 0 });
      const headers = response.headers();
      expectCommonHeaders(headers, path);
      const script = directives(headers["content-security-policy"]!).get("script-src")!;
      expect(script, path).toMatch(/'nonce-[A-Za-z0-9+/=]+'/);
      expect(script, path).toContain("'strict-dynamic'");
      expect(script, path).not.toContain("unsafe-inline");
      expect(script, path).not.toContain("unsafe-eval");
      const nonce = script.match(/'nonce-([^']+)'/)![1]!;
      nonces.add(nonce);
      // Every script the page carries has the header's nonce.
      const html = await response.text();
      const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
      if (response.status() === 200) expect(scripts.length, path).toBeGreaterThan(0);
      for (const tag of scripts) expect(tag, path).toContain(`nonce="${nonce}"`);
    }
    expect(nonces.size).toBe(5);
    await admin.dispose();
    await anonymous.dispose();
  });

  test("API responses and downloads: nosniff, no framing, nothing to run", async () => {
    const admin = await playwrightRequest.newContext({ baseURL: E2E.baseURL, storageState: stateFile("admin"), extraHTTPHeaders: sameOrigin });
    const anonymous = await playwrightRequest.newContext({ baseURL: E2E.baseURL });
    await waitUntilNoJobRuns();
    expect((await admin.post("/api/v1/backups")).status()).toBe(202);
    await waitUntilNoJobRuns();
    const done = backupRows()
      .filter((b) => b.status === "completed")
      .at(-1)!;
    for (const [context, path, status] of [
      [anonymous, "/api/v1/backups", 401],
      [admin, "/api/v1/backups", 200],
      [admin, `/api/v1/backups/${done.id}`, 200],
      [admin, `/api/v1/backups/download/${done.fileName}`, 200],
      [admin, "/api/v1/backups/download/..%2f..%2fetc%2fpasswd", 400],
    ] as const) {
      const response = await context.get(path);
      expect(response.status(), path).toBe(status);
      const headers = response.headers();
      expectCommonHeaders(headers, path);
      expect(directives(headers["content-security-policy"]!).get("default-src"), path).toBe("default-src 'none'");
    }
    await admin.dispose();
    await anonymous.dispose();
  });

  test("in the browser: the portal's own scripts run, markup injected into a page cannot run script", async ({ browser }) => {
    const context = await browser.newContext({ storageState: stateFile("admin") });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.goto("/backups");
    // Hydrated: the create button's client-side form works only with the page's scripts running.
    await expect(page.getByRole("button", { name: "Create backup" })).toBeEnabled();
    expect(violations).toEqual([]);

    // What a server-side injection flaw would put in a page: the real response, its real headers, plus markup.
    await page.route("**/backups", async (route) => {
      const response = await route.fetch();
      const body = (await response.text()).replace(
        "<body",
        `<script>window.__injected = "inline"</script><img src="/x.png" onerror="window.__injected = 'handler'"><body`,
      );
      await route.fulfill({ response, body });
    });
    await page.goto("/backups");
    await expect(page.getByRole("button", { name: "Create backup" })).toBeEnabled();
    await expect.poll(() => violations.length).toBeGreaterThanOrEqual(2);
    expect(await page.evaluate(() => (window as unknown as { __injected?: string }).__injected)).toBeUndefined();
    await context.close();
  });
});

test.describe("session cookie", () => {
  test("HttpOnly, SameSite=Lax, Path=/, 8 hours; not Secure over plain http", async () => {
    const context = await playwrightRequest.newContext({ baseURL: E2E.baseURL });
    const { csrfToken } = (await (await context.get("/api/auth/csrf")).json()) as { csrfToken: string };
    const response = await context.post("/api/auth/callback/credentials", {
      form: { csrfToken, email: E2E.user.email, password: E2E.user.password, json: "true" },
      maxRedirects: 0,
    });
    const cookies = response
      .headersArray()
      .filter((h) => h.name.toLowerCase() === "set-cookie")
      .map((h) => h.value);
    const session = cookies.find((c) => c.startsWith("next-auth.session-token="));
    expect(session, cookies.join("\n")).toBeDefined();
    expect(session).toMatch(/;\s*HttpOnly/i);
    expect(session).toMatch(/;\s*SameSite=Lax/i);
    expect(session).toMatch(/;\s*Path=\/(;|$)/);
    expect(session).not.toMatch(/;\s*Secure/i);
    const expires = Date.parse(session!.match(/Expires=([^;]+)/i)![1]!);
    const hours = (expires - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(7.9);
    expect(hours).toBeLessThanOrEqual(8);
    await context.dispose();
  });
});

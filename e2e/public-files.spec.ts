import fs from "node:fs";
import path from "node:path";
import { test, expect, request as playwrightRequest } from "@playwright/test";
import { E2E } from "./helpers";

const publicDir = path.resolve(__dirname, "../public");

// Browsers ask for both before anyone signs in; a redirect to /signin would be a broken icon and a crawlable page.
test.describe("public files answer without a session", () => {
  test("/robots.txt turns every crawler away", async () => {
    const anonymous = await playwrightRequest.newContext({ baseURL: E2E.baseURL });
    const response = await anonymous.get("/robots.txt", { maxRedirects: 0 });
    expect(response.status()).toBe(200);
    expect(response.headers()["content-type"]).toMatch(/^text\/plain/);
    const lines = (await response.text()).split(/\r?\n/).map((l) => l.trim());
    expect(lines).toContain("User-agent: *");
    expect(lines).toContain("Disallow: /");
    await anonymous.dispose();
  });

  test("the load script's yardstick route does not exist outside a load run", async () => {
    const anonymous = await playwrightRequest.newContext({ baseURL: E2E.baseURL });
    const response = await anonymous.get("/api/load-reference", { maxRedirects: 0 });
    expect(response.status()).toBe(404);
    expect(await response.text()).toBe("");
    await anonymous.dispose();
  });

  test("/favicon.ico is the portal's icon", async () => {
    const anonymous = await playwrightRequest.newContext({ baseURL: E2E.baseURL });
    const response = await anonymous.get("/favicon.ico", { maxRedirects: 0 });
    expect(response.status()).toBe(200);
    expect(response.headers()["content-type"]).toMatch(/^image\/(x-icon|vnd\.microsoft\.icon)/);
    const body = await response.body();
    // An ICO header (reserved 0, type 1) with the 16 and 32 px images.
    expect(body.readUInt16LE(0)).toBe(0);
    expect(body.readUInt16LE(2)).toBe(1);
    expect(body.readUInt16LE(4)).toBe(2);
    expect(body.equals(fs.readFileSync(path.join(publicDir, "favicon.ico")))).toBe(true);
    await anonymous.dispose();
  });

  test("the sign-in page shows the icon in the browser", async ({ browser }) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto("/signin");
    // What a tab shows: the icon the page declares, or /favicon.ico when it declares none.
    const href = await page.evaluate(() => new URL(document.querySelector<HTMLLinkElement>("link[rel~='icon']")?.href ?? "/favicon.ico", location.href).href);
    const icon = await context.request.get(href, { maxRedirects: 0 });
    expect(icon.status()).toBe(200);
    expect(icon.headers()["content-type"]).toMatch(/^image\//);
    await context.close();
  });
});

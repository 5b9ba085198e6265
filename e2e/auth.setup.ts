import fs from "node:fs";
import { test as setup, expect } from "@playwright/test";
import { E2E, signIn, stateFile } from "./helpers";

setup("sign in as the admin and as a plain user", async ({ browser }) => {
  fs.mkdirSync(E2E.stateDir, { recursive: true });
  for (const [who, account] of [
    ["admin", E2E.admin],
    ["user", E2E.user],
  ] as const) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, account);
    await expect(page.getByText(account.email, { exact: true })).toBeVisible();
    await context.storageState({ path: stateFile(who) });
    await context.close();
  }
});

setup("a wrong password is refused", async ({ page }) => {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(E2E.admin.email);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("Wrong email or password.")).toBeVisible();
});

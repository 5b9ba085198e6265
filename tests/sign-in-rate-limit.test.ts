import { beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { authOptions } from "@/lib/auth/options";
import { MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS, SIGN_IN_WINDOW_MS, assertSignInAllowed } from "@/lib/auth/rate-limit";
import { makeUser } from "./helpers/fixtures";

type Authorize = (credentials: Record<string, string>, req: { headers: Record<string, string> }) => Promise<{ id: string } | null>;
const authorize = (authOptions.providers[0] as unknown as { options: { authorize: Authorize } }).options.authorize;
const attempt = (email: string, password: string, ip: string) => authorize({ email, password }, { headers: { "x-forwarded-for": ip } });

describe("sign-in rate limit", () => {
  beforeEach(async () => {
    await prisma.auditEvent.deleteMany();
  });

  it("locks an account after repeated failures, even for the right password, and says for how long", async () => {
    const user = await makeUser("user");
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT; i++) {
      // From different addresses: the account's lock does not depend on where guesses come from.
      expect(await attempt(user.email, "wrong-password-guess", `10.0.0.${i}`)).toBeNull();
    }
    await expect(attempt(user.email, "a-long-test-password", "10.0.1.1")).rejects.toThrow(/Too many sign-in attempts\. Try again in 15 minutes\./);
    // Another account from the same addresses is not affected.
    const other = await makeUser("user");
    expect(await attempt(other.email, "a-long-test-password", "10.0.0.1")).toMatchObject({ id: String(other.id) });
  });

  it("parallel guesses count at once: no more than the limit get their password checked", async () => {
    const user = await makeUser("user");
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => attempt(user.email, `parallel-guess-${i}`, `10.3.0.${i}`)));
    const checked = results.filter((r) => r.status === "fulfilled");
    const refusedNow = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    expect(checked).toHaveLength(MAX_FAILURES_PER_ACCOUNT);
    for (const r of refusedNow) expect(String(r.reason)).toMatch(/Too many sign-in attempts/);
    await expect(attempt(user.email, "a-long-test-password", "10.3.1.1")).rejects.toThrow(/Too many/);
  });

  it("a success resets the account's count", async () => {
    const user = await makeUser("user");
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT - 1; i++) await attempt(user.email, "wrong-password-guess", "10.1.0.1");
    expect(await attempt(user.email, "a-long-test-password", "10.1.0.1")).not.toBeNull();
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT - 1; i++) await attempt(user.email, "wrong-password-guess", "10.1.0.1");
    expect(await attempt(user.email, "a-long-test-password", "10.1.0.1")).not.toBeNull();
  });

  it("locks an address that tries many accounts", async () => {
    const user = await makeUser("admin");
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) await attempt(`nobody${i}@example.test`, "guess-guess-guess", "192.0.2.7");
    await expect(attempt(user.email, "a-long-test-password", "192.0.2.7")).rejects.toThrow(/Too many sign-in attempts/);
    expect(await attempt(user.email, "a-long-test-password", "192.0.2.8")).not.toBeNull();
  });

  it("the lock lifts once the failures leave the window", async () => {
    const user = await makeUser("user");
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT; i++) await attempt(user.email, "wrong-password-guess", "10.2.0.1");
    await expect(assertSignInAllowed(user.email, "10.2.0.1")).rejects.toThrow(/Too many/);
    await expect(assertSignInAllowed(user.email, "10.2.0.1", Date.now() + SIGN_IN_WINDOW_MS + 1000)).resolves.toBeUndefined();
  });
});

import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { authOptions } from "@/lib/auth/options";
import { FIRST_LOCK_MS, MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_PAIR, SIGN_IN_WINDOW_MS, assertSignInAllowed, pairLockMs } from "@/lib/auth/rate-limit";
import { installConnectionStamp, PEER_HEADER } from "@/lib/http/connection-stamp";
import { makeUser } from "./helpers/fixtures";

type Authorize = (credentials: Record<string, string>, req: { headers: Record<string, string> }) => Promise<{ id: string } | null>;
const authorize = (authOptions.providers[0] as unknown as { options: { authorize: Authorize } }).options.authorize;
/** A sign-in over a connection from `peer`, with whatever headers the client adds, as next-auth passes it. */
const attemptFrom = (email: string, password: string, peer: string, headers: Record<string, string> = {}) =>
  authorize({ email, password }, { headers: { ...headers, [PEER_HEADER]: peer } });
const attempt = attemptFrom;
const lastAddress = async () => (await prisma.auditEvent.findFirst({ orderBy: { id: "desc" } }))!.ip;

describe("sign-in rate limit", () => {
  // As at the portal's start: each request carries its connection's peer address.
  beforeAll(() => installConnectionStamp());
  beforeEach(async () => {
    await prisma.auditEvent.deleteMany();
    delete process.env.TRUSTED_PROXY;
  });

  it("locks an account from one address after repeated failures, even for the right password, and says for how long", async () => {
    const user = await makeUser("user");
    for (let i = 0; i < MAX_FAILURES_PER_PAIR; i++) expect(await attempt(user.email, "wrong-password-guess", "10.0.0.1")).toBeNull();
    await expect(attempt(user.email, "a-long-test-password", "10.0.0.1")).rejects.toThrow(/Too many sign-in attempts\. Try again in 15 minutes\./);
    // Another account from the same address is not affected.
    const other = await makeUser("user");
    expect(await attempt(other.email, "a-long-test-password", "10.0.0.1")).toMatchObject({ id: String(other.id) });
  });

  it("twenty failures from an attacker's address do not lock the admin out from their own address", async () => {
    const admin = await makeUser("admin");
    const results = [];
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++)
      results.push(await attempt(admin.email, `guess-${i}-guess-guess`, "198.51.100.66").catch((e: Error) => e.message));
    expect(results.filter((r) => r === null)).toHaveLength(MAX_FAILURES_PER_PAIR);
    await expect(attempt(admin.email, "a-long-test-password", "198.51.100.66")).rejects.toThrow(/Too many/);
    expect(await attempt(admin.email, "a-long-test-password", "192.0.2.10")).toMatchObject({ id: String(admin.id) });
  });

  it("backs off: each failure after a lock doubles the wait, up to a day", async () => {
    expect([4, 5, 6, 7, 8].map(pairLockMs)).toEqual([0, FIRST_LOCK_MS, 2 * FIRST_LOCK_MS, 4 * FIRST_LOCK_MS, 8 * FIRST_LOCK_MS]);
    expect(pairLockMs(40)).toBe(24 * 60 * 60 * 1000);
    const user = await makeUser("user");
    for (let i = 0; i < MAX_FAILURES_PER_PAIR; i++) await attempt(user.email, "wrong-password-guess", "10.2.0.1");
    const now = Date.now();
    await expect(assertSignInAllowed(user.email, "10.2.0.1", now)).rejects.toThrow(/15 minutes/);
    await expect(assertSignInAllowed(user.email, "10.2.0.1", now + FIRST_LOCK_MS + 1000)).resolves.toBeUndefined();
    // One more wrong guess once the lock lifted: now 30 minutes.
    const later = new Date(now + FIRST_LOCK_MS + 2000);
    await prisma.auditEvent.create({ data: { actorEmail: user.email, ip: "10.2.0.1", action: "sign-in.failed", at: later } });
    await expect(assertSignInAllowed(user.email, "10.2.0.1", later.getTime() + 1000)).rejects.toThrow(/30 minutes/);
    await expect(assertSignInAllowed(user.email, "10.2.0.1", later.getTime() + 2 * FIRST_LOCK_MS + 1000)).resolves.toBeUndefined();
  });

  it("parallel guesses count at once: no more than the limit get their password checked", async () => {
    const user = await makeUser("user");
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => attempt(user.email, `parallel-guess-${i}`, "10.3.0.1")));
    const checked = results.filter((r) => r.status === "fulfilled");
    const refusedNow = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    expect(checked).toHaveLength(MAX_FAILURES_PER_PAIR);
    for (const r of refusedNow) expect(String(r.reason)).toMatch(/Too many sign-in attempts/);
    await expect(attempt(user.email, "a-long-test-password", "10.3.0.1")).rejects.toThrow(/Too many/);
  });

  it("a success resets the count for that address", async () => {
    const user = await makeUser("user");
    for (let i = 0; i < MAX_FAILURES_PER_PAIR - 1; i++) await attempt(user.email, "wrong-password-guess", "10.1.0.1");
    expect(await attempt(user.email, "a-long-test-password", "10.1.0.1")).not.toBeNull();
    for (let i = 0; i < MAX_FAILURES_PER_PAIR - 1; i++) await attempt(user.email, "wrong-password-guess", "10.1.0.1");
    expect(await attempt(user.email, "a-long-test-password", "10.1.0.1")).not.toBeNull();
  });

  it("stops an address that tries many accounts, and only that address", async () => {
    const user = await makeUser("admin");
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) await attempt(`nobody${i}@example.test`, "guess-guess-guess", "192.0.2.7");
    await expect(attempt(user.email, "a-long-test-password", "192.0.2.7")).rejects.toThrow(/Too many sign-in attempts/);
    expect(await attempt(user.email, "a-long-test-password", "192.0.2.8")).not.toBeNull();
    await expect(assertSignInAllowed(user.email, "192.0.2.7", Date.now() + SIGN_IN_WINDOW_MS + 1000)).resolves.toBeUndefined();
  });

  it("a client's own X-Forwarded-For is ignored: it neither escapes the limit nor lands in the audit", async () => {
    const user = await makeUser("admin");
    for (let i = 0; i < MAX_FAILURES_PER_PAIR; i++) {
      await attemptFrom(user.email, "wrong-password-guess", "203.0.113.9", { "x-forwarded-for": `10.9.9.${i}` });
      expect(await lastAddress()).toBe("203.0.113.9");
    }
    await expect(attemptFrom(user.email, "a-long-test-password", "203.0.113.9", { "x-forwarded-for": "10.9.9.200" })).rejects.toThrow(/Too many/);
    // An IPv4 peer on a dual-stack socket is the same address.
    await expect(attemptFrom(user.email, "a-long-test-password", "::ffff:203.0.113.9")).rejects.toThrow(/Too many/);
  });

  it("trusts X-Forwarded-For only from a proxy named in TRUSTED_PROXY, reading what the proxy added", async () => {
    const user = await makeUser("user");
    process.env.TRUSTED_PROXY = "10.0.0.2, ::1";
    // The client wrote the first entry itself; the proxy appended the address it saw.
    expect(await attemptFrom(user.email, "a-long-test-password", "10.0.0.2", { "x-forwarded-for": "6.6.6.6, 198.51.100.7" })).not.toBeNull();
    expect(await lastAddress()).toBe("198.51.100.7");
    expect(await attemptFrom(user.email, "a-long-test-password", "::1", { "x-forwarded-for": "198.51.100.8, 10.0.0.2" })).not.toBeNull();
    expect(await lastAddress()).toBe("198.51.100.8");
    // Not from the proxy: the header is the client's word, and the peer is recorded.
    expect(await attemptFrom(user.email, "a-long-test-password", "192.0.2.50", { "x-forwarded-for": "198.51.100.9" })).not.toBeNull();
    expect(await lastAddress()).toBe("192.0.2.50");
    // Garbage in the header: the proxy's own address, not the garbage.
    expect(await attemptFrom(user.email, "a-long-test-password", "10.0.0.2", { "x-forwarded-for": "<script>" })).not.toBeNull();
    expect(await lastAddress()).toBe("10.0.0.2");
  });
});

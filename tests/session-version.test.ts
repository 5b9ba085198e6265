import { describe, expect, it } from "vitest";
import { authOptions } from "@/lib/auth/options";
import { changePassword, changeRole, deleteUser, userForSession } from "@/lib/auth/session-version";
import { verifyCredentials } from "@/lib/users";
import { makeUser } from "./helpers/fixtures";

type Authorize = (credentials: Record<string, string>, req: { headers: Record<string, string> }) => Promise<Record<string, unknown> | null>;
const authorize = (authOptions.providers[0] as unknown as { options: { authorize: Authorize } }).options.authorize;
const callbacks = authOptions.callbacks as unknown as {
  jwt: (a: { token: Record<string, unknown>; user?: Record<string, unknown> }) => Record<string, unknown>;
  session: (a: { session: Record<string, unknown>; token: Record<string, unknown> }) => { uid: number | null; sv: number };
};

/** Signs in the way next-auth does: authorize, then the token and session callbacks. */
async function signIn(email: string): Promise<{ token: Record<string, unknown>; claims: { uid: number | null; sv: number } }> {
  const user = await authorize({ email, password: "a-long-test-password" }, { headers: {} });
  expect(user).not.toBeNull();
  const token = callbacks.jwt({ token: {}, user: user! });
  return { token, claims: callbacks.session({ session: {}, token }) };
}

describe("session versions end sessions at once", () => {
  it("signing out ends that session and every other session of the user, not other users'", async () => {
    const user = await makeUser("admin");
    const other = await makeUser("admin");
    const first = await signIn(user.email);
    const second = await signIn(user.email);
    const others = await signIn(other.email);
    expect((await userForSession(first.claims))?.id).toBe(user.id);
    await authOptions.events!.signOut!({ token: first.token, session: null as never });
    expect(await userForSession(first.claims)).toBeNull();
    expect(await userForSession(second.claims)).toBeNull();
    expect((await userForSession(others.claims))?.id).toBe(other.id);
    // Signing in again gives a working session.
    expect((await userForSession((await signIn(user.email)).claims))?.id).toBe(user.id);
  });

  it("a password change ends the user's sessions, and the new password works", async () => {
    const user = await makeUser("user");
    const before = await signIn(user.email);
    await changePassword(user.id, "another-long-password");
    expect(await userForSession(before.claims)).toBeNull();
    expect(await verifyCredentials(user.email, "a-long-test-password")).toBeNull();
    expect((await verifyCredentials(user.email, "another-long-password"))?.id).toBe(user.id);
    await expect(changePassword(user.id, "short")).rejects.toThrow(/12/);
  });

  it("a role change ends the user's sessions", async () => {
    const user = await makeUser("admin");
    const before = await signIn(user.email);
    await changeRole(user.id, "user");
    expect(await userForSession(before.claims)).toBeNull();
    const after = await signIn(user.email);
    expect((await userForSession(after.claims))?.role).toBe("user");
  });

  it("deleting a user ends their sessions", async () => {
    const user = await makeUser("admin");
    const before = await signIn(user.email);
    await deleteUser(user.id);
    expect(await userForSession(before.claims)).toBeNull();
  });

  it("a session from before versions existed counts as version 0 until the first sign-out", async () => {
    const user = await makeUser("user");
    expect((await userForSession({ uid: user.id }))?.id).toBe(user.id);
    await authOptions.events!.signOut!({ token: { uid: user.id }, session: null as never });
    expect(await userForSession({ uid: user.id })).toBeNull();
  });
});

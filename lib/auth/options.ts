import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { z } from "zod";
import { verifyCredentials } from "@/lib/users";
import { beginSignInAttempt, signInSucceeded } from "@/lib/auth/rate-limit";
import { endAllSessions } from "@/lib/auth/session-version";
import { clientAddressFromRecord } from "@/lib/http/client-address";
import { configureAuthOrigin } from "@/lib/site-url";

// Redirects go to APP_URL, else to the address the request came to: any port works (lib/site-url.ts).
configureAuthOrigin();

const credentialsSchema = z.object({
  email: z.string().trim().toLowerCase().min(1).max(200),
  password: z.string().min(1).max(200),
});

export const SESSION_MAX_AGE_SECONDS = 8 * 60 * 60;

export const authOptions: NextAuthOptions = {
  secret: process.env.NEXTAUTH_SECRET,
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
  pages: { signIn: "/signin" },
  providers: [
    CredentialsProvider({
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, req) {
        const input = credentialsSchema.safeParse(credentials);
        if (!input.success) return null;
        const ip = clientAddressFromRecord(req?.headers);
        // Checked and counted before the password, so a locked account answers the same whether the guess
        // is right; next-auth passes the message to the sign-in page. Recorded as sign-in.failed until proven.
        const attempt = await beginSignInAttempt(input.data.email, ip);
        const user = await verifyCredentials(input.data.email, input.data.password);
        if (!user) return null;
        await signInSucceeded(attempt, user);
        return { id: String(user.id), email: user.email, name: user.name, sessionVersion: user.sessionVersion };
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        token.uid = Number(user.id);
        token.sv = (user as { sessionVersion?: number }).sessionVersion ?? 0;
      }
      return token;
    },
    session({ session, token }) {
      // Only the id and the session version travel: role and permissions are read fresh on every request.
      return { ...session, uid: typeof token.uid === "number" ? token.uid : null, sv: typeof token.sv === "number" ? token.sv : 0 };
    },
  },
  events: {
    // The cookie is a self-contained token the browser could keep: signing out must end it on the server too.
    async signOut({ token }) {
      if (typeof token?.uid === "number") await endAllSessions(token.uid);
    },
  },
};

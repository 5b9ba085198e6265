import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { z } from "zod";
import { verifyCredentials } from "@/lib/users";
import { beginSignInAttempt, signInSucceeded } from "@/lib/auth/rate-limit";
import { configureAuthOrigin } from "@/lib/site-url";

// Redirects go to APP_URL, else to the address the request came to: any port works (lib/site-url.ts).
configureAuthOrigin();

const credentialsSchema = z.object({
  email: z.string().trim().toLowerCase().min(1).max(200),
  password: z.string().min(1).max(200),
});

function clientIp(headers: Record<string, unknown> | undefined): string | null {
  const forwarded = headers?.["x-forwarded-for"];
  return typeof forwarded === "string" ? forwarded.split(",")[0]!.trim() : null;
}

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
        const ip = clientIp(req?.headers);
        // Checked and counted before the password, so a locked account answers the same whether the guess
        // is right; next-auth passes the message to the sign-in page. Recorded as sign-in.failed until proven.
        const attempt = await beginSignInAttempt(input.data.email, ip);
        const user = await verifyCredentials(input.data.email, input.data.password);
        if (!user) return null;
        await signInSucceeded(attempt, user);
        return { id: String(user.id), email: user.email, name: user.name };
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) token.uid = Number(user.id);
      return token;
    },
    session({ session, token }) {
      // Only the id travels in the session: role and permissions are read fresh on every request.
      return { ...session, uid: typeof token.uid === "number" ? token.uid : null };
    },
  },
};

"use client";

import { signIn } from "next-auth/react";
import { useRef, useState, useSyncExternalStore, type FormEvent } from "react";

const noSubscription = () => () => {};

export function SignInForm({ returnTo }: { returnTo: string }) {
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  // Until the page is interactive the button stays disabled: a press before then would post the
  // password to the page itself instead of signing in.
  const ready = useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
  const password = useRef<HTMLInputElement>(null);

  // A plain submit handler, not a form action: React resets a form after its action, which emptied the
  // email after a wrong password (and could empty a field being typed into while the answer came back).
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const result = await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
    }).catch(() => null);
    if (result?.ok && !result.error) {
      // A full load, so every server-rendered part sees the new session.
      window.location.assign(returnTo);
      return;
    }
    setPending(false);
    setError(result?.error?.startsWith("Too many") ? result.error : result ? "Wrong email or password." : "The portal did not answer. Try again.");
    // The email stays; the password is selected, ready to be typed again.
    password.current?.select();
  }

  return (
    <form method="post" onSubmit={submit} className="mt-4 space-y-4">
      <label className="block">
        <span className="text-sm font-medium">Email</span>
        <input name="email" type="text" autoComplete="username" required className="mt-1 block w-full rounded border border-slate-300 px-3 py-2" />
      </label>
      <label className="block">
        <span className="text-sm font-medium">Password</span>
        <input
          ref={password}
          name="password"
          type="password"
          autoComplete="current-password"
          required
          className="mt-1 block w-full rounded border border-slate-300 px-3 py-2"
        />
      </label>
      {error && (
        <p role="alert" className="text-sm text-red-700">
          {error}
        </p>
      )}
      <button
        type="submit"
        disabled={pending || !ready}
        className="w-full rounded bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800 disabled:opacity-60"
      >
        {pending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}

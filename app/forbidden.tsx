import Link from "next/link";
import { connection } from "next/server";

// Rendered per request, so it carries the CSP nonce like every other page.
export default async function Forbidden() {
  await connection();
  return (
    <main className="mx-auto max-w-lg p-8 text-center">
      <h1 className="text-2xl font-semibold">No access</h1>
      <p className="mt-2 text-slate-600">Your account does not have access to this page. Ask an administrator.</p>
      <Link href="/" className="mt-4 inline-block text-blue-700 underline">
        Home
      </Link>
    </main>
  );
}

import Link from "next/link";
import { connection } from "next/server";
import { decideAdminAccess } from "@/lib/auth/access";
import { currentUser } from "@/lib/auth/session";
import { loadSettings } from "@/lib/settings";

/**
 * Every portal page that is not there. While the backup module is off its pages do not exist for anybody
 * (404, as the access table says), but an admin, who can switch it on, is told so and shown where;
 * everyone else gets the plain page, which says nothing about the module.
 */
export default async function PortalNotFound() {
  await connection();
  const [user, settings] = await Promise.all([currentUser(), loadSettings()]);
  if (!settings.enableBackupModule && decideAdminAccess(user) === "ok") {
    return (
      <section className="mx-auto max-w-xl rounded-lg border border-amber-300 bg-amber-50 p-6" data-testid="module-off">
        <h1 className="text-2xl font-semibold">The backup module is off</h1>
        <p className="mt-2 text-slate-700">
          Backups, their pages and API tokens exist only while the backup module is switched on: until then nobody can open them in the portal or through the
          API.
        </p>
        <p className="mt-4">
          <Link href="/settings#enableBackupModule" className="inline-block rounded bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800">
            Switch it on in Settings
          </Link>
        </p>
      </section>
    );
  }
  return (
    <section className="mx-auto max-w-lg p-8 text-center">
      <h1 className="text-2xl font-semibold">Not found</h1>
      <p className="mt-2 text-slate-600">There is nothing here.</p>
      <Link href="/" className="mt-4 inline-block text-blue-700 underline">
        Home
      </Link>
    </section>
  );
}

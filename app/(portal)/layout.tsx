import Link from "next/link";
import { decideAdminAccess, decideBackupAccess } from "@/lib/auth/access";
import { requestSettings, requestUser } from "@/lib/auth/request-cache";
import { activeJob } from "@/lib/backup";
import { SignOutButton } from "@/app/ui/sign-out-button";

// The navigation only hides what a person cannot use; every page and action checks access itself.
export default async function PortalLayout({ children }: { children: React.ReactNode }) {
  const [user, settings] = await Promise.all([requestUser(), requestSettings()]);
  const showBackups = decideBackupAccess(user, settings) === "ok";
  const showSettings = decideAdminAccess(user) === "ok";
  const active = showBackups ? await activeJob() : null;
  const activeRestore = active?.kind === "restore" ? active : null;
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <nav aria-label="Main" className="mx-auto flex max-w-5xl flex-wrap items-center gap-x-5 gap-y-2 px-4 py-3">
          <Link href="/" className="font-semibold text-slate-900">
            Safekeep
          </Link>
          {showBackups && (
            <Link href="/backups" className="text-slate-700 hover:text-blue-700">
              Backups
            </Link>
          )}
          {showBackups && (
            <Link href="/tokens" className="text-slate-700 hover:text-blue-700">
              API tokens
            </Link>
          )}
          {showSettings && (
            <Link href="/settings" className="text-slate-700 hover:text-blue-700">
              Settings
            </Link>
          )}
          {showSettings && (
            <Link href="/audit" className="text-slate-700 hover:text-blue-700">
              Audit
            </Link>
          )}
          <span className="ml-auto flex items-center gap-3 text-sm text-slate-600">
            {user ? (
              <>
                <span>{user.email}</span>
                <SignOutButton />
              </>
            ) : (
              <Link href="/signin" className="text-blue-700 underline">
                Sign in
              </Link>
            )}
          </span>
        </nav>
      </header>
      {showBackups && activeRestore && (
        <p role="status" className="bg-amber-100 px-4 py-2 text-center text-sm text-amber-900">
          A restore is running: backups and other restores wait until it ends.{" "}
          <Link href={`/backups/${activeRestore.id}`} className="underline">
            Follow it
          </Link>
        </p>
      )}
      <main className="mx-auto max-w-5xl px-4 py-6">{children}</main>
    </div>
  );
}

import { redirect } from "next/navigation";
import { decideAdminAccess, decideBackupAccess } from "@/lib/auth/access";
import { requestSettings, requestUser } from "@/lib/auth/request-cache";

export default async function HomePage() {
  const [user, settings] = await Promise.all([requestUser(), requestSettings()]);
  if (!user) redirect("/signin");
  if (decideBackupAccess(user, settings) === "ok") redirect("/backups");
  if (decideAdminAccess(user) === "ok") redirect("/settings");
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-6">
      <h1 className="text-xl font-semibold">Welcome, {user.name ?? user.email}</h1>
      <p className="mt-2 text-slate-600">There is nothing here for your account yet. An administrator can give you access to backups.</p>
    </section>
  );
}

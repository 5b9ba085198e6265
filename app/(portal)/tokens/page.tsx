import type { Metadata } from "next";
import { requireBackupPage } from "@/lib/auth/guards";
import { listApiTokens } from "@/lib/auth/tokens";
import { CreateTokenForm, RevokeTokenButton } from "./token-forms";

export const metadata: Metadata = { title: "API tokens" };

const when = (d: Date | null) => (d ? `${d.toISOString().replace("T", " ").slice(0, 16)} UTC` : "—");

export default async function TokensPage() {
  const { user } = await requireBackupPage("/tokens");
  const tokens = await listApiTokens(user.id);
  return (
    <section className="max-w-3xl space-y-4">
      <h1 className="text-2xl font-semibold">API tokens</h1>
      <p className="text-sm text-slate-600">
        A token lets a script use the API as you: <code>Authorization: Bearer &lt;token&gt;</code>. It has your access, no more.
      </p>
      <CreateTokenForm />
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="w-full text-left text-sm">
          <thead className="border-b border-slate-200 bg-slate-50 text-slate-600">
            <tr>
              <th className="px-3 py-2 font-medium">Name</th>
              <th className="px-3 py-2 font-medium">Token</th>
              <th className="px-3 py-2 font-medium">Created</th>
              <th className="px-3 py-2 font-medium">Last used</th>
              <th className="px-3 py-2 font-medium"></th>
            </tr>
          </thead>
          <tbody>
            {tokens.length === 0 && <tr><td colSpan={5} className="px-3 py-4 text-center text-slate-500">No tokens yet.</td></tr>}
            {tokens.map((t) => (
              <tr key={t.id} data-testid="token-row" className="border-b border-slate-100 last:border-0">
                <td className="px-3 py-2">{t.name}</td>
                <td className="px-3 py-2 font-mono text-xs">sk_{t.prefix}_…</td>
                <td className="px-3 py-2 whitespace-nowrap">{when(t.createdAt)}</td>
                <td className="px-3 py-2 whitespace-nowrap">{when(t.lastUsedAt)}</td>
                <td className="px-3 py-2">{t.revokedAt ? <span className="text-slate-500">revoked</span> : <RevokeTokenButton id={t.id} name={t.name} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

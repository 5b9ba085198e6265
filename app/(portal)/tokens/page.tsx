import type { Metadata } from "next";
import { requireBackupPage } from "@/lib/auth/guards";
import { listApiTokens } from "@/lib/auth/tokens";
import { DataTable, type Column } from "@/app/ui/data-table";
import { When } from "@/app/ui/when";
import { CreateTokenForm, RevokeTokenButton } from "./token-forms";

export const metadata: Metadata = { title: "API tokens" };

type Token = Awaited<ReturnType<typeof listApiTokens>>[number];

const columns: Column<Token>[] = [
  { header: "Name", cell: (t) => t.name },
  { header: "Token", className: "font-mono text-xs", cell: (t) => `sk_${t.prefix}_…` },
  { header: "Created", className: "whitespace-nowrap", cell: (t) => <When at={t.createdAt} precision="minute" /> },
  { header: "Last used", className: "whitespace-nowrap", cell: (t) => <When at={t.lastUsedAt} precision="minute" /> },
  { header: "Revoke", cell: (t) => (t.revokedAt ? <span className="text-slate-500">revoked</span> : <RevokeTokenButton id={t.id} name={t.name} />) },
];

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
      <DataTable rows={tokens} rowKey={(t) => t.id} rowTestId="token-row" columns={columns} empty="No tokens yet." />
    </section>
  );
}

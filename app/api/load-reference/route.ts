import fs from "node:fs";
import { NextResponse } from "next/server";

// GET /api/load-reference — the yardstick of `npm run load` (scripts/load.mjs): a progress poll's JSON with none
// of the poll's work (no session, no access check, no database), so the poll's cost can be stated as a ratio
// to a bare route handler on the same server at the same moment. It answers only in a portal the load script
// started with SAFEKEEP_LOAD_REFERENCE_FILE set; anywhere else it does not exist.
let body: unknown = null;

export const dynamic = "force-dynamic";

export function GET() {
  const file = process.env.SAFEKEEP_LOAD_REFERENCE_FILE;
  if (!file) return new NextResponse(null, { status: 404 });
  body ??= JSON.parse(fs.readFileSync(file, "utf8"));
  return NextResponse.json(body, { headers: { "Cache-Control": "no-store" } });
}

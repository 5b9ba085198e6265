import { NextResponse } from "next/server";
import { openApiDocument } from "@/lib/api/openapi";

// GET /api/v1/openapi.json — the API's description; public, like any API reference
export function GET() {
  return NextResponse.json(openApiDocument);
}

import { NextResponse } from "next/server";
import { adminAccess, backupAccess, callerFor, type Decide } from "@/lib/auth/caller";
import { bearerToken, userForToken } from "@/lib/auth/tokens";
import { currentUser } from "@/lib/auth/session";
import { refuseCrossOriginWrite } from "@/lib/http/same-origin";
import type { Caller } from "@/lib/backup";
import { SafekeepError } from "@/lib/errors";

export function jsonError(status: number, code: string, message: string): NextResponse {
  return NextResponse.json({ error: { code, message } }, { status });
}

type RouteContext<P> = { params: Promise<P> };
type Handler<P> = (request: Request, caller: Caller, params: P) => Promise<Response>;

/**
 * Wraps a route handler once so no route can forget the check: access first (a session cookie or a
 * personal API token, which once sent must be valid), then the handler; its SafekeepErrors become JSON
 * errors with the status the error table gives.
 */
export function withAccess<P>(decide: Decide, handler: Handler<P>): (request: Request, context: RouteContext<P>) => Promise<Response> {
  return async (request, context) => {
    try {
      const token = bearerToken(request);
      const caller = await callerFor(decide, token === undefined ? currentUser : () => userForToken(token));
      // A cookie-authenticated write must come from the portal's own pages (a token is not sent by a browser on its own).
      return refuseCrossOriginWrite(request, token !== undefined) ?? (await handler(request, caller, await context.params));
    } catch (error) {
      if (error instanceof SafekeepError) return jsonError(error.status, error.code, error.message);
      throw error;
    }
  };
}

export const withBackupAccess = <P>(handler: Handler<P>) => withAccess<P>(backupAccess, handler);
export const withAdminAccess = <P>(handler: Handler<P>) => withAccess<P>(adminAccess, handler);

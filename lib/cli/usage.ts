/** A command used wrongly (unknown option, bad value): exit code 64, as sysexits.h has it. */
export class UsageError extends Error {}

export const EXIT = { ok: 0, failed: 1, warnings: 2, busy: 3, notConfirmed: 4, usage: 64 } as const;

export function isUsageError(error: unknown): boolean {
  return error instanceof UsageError || String((error as { code?: string })?.code ?? "").startsWith("ERR_PARSE_ARGS");
}

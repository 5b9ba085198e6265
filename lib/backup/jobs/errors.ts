/** Turns what went wrong into a sentence for people: what failed and what to do, never a stack trace. */
export function describeError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const where = e?.path ? ` (${e.path})` : "";
  switch (e?.code) {
    case "ENOSPC":
      return `The disk is full${where}: free some space or choose another backup directory in settings.`;
    case "EACCES":
    case "EPERM":
      return `Permission denied${where}: the portal's user cannot write there; fix the permissions or choose another backup directory.`;
    case "EROFS":
      return `The file system is read-only${where}: choose another backup directory.`;
    case "ENOENT":
      return `Not found${where}: ${e.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

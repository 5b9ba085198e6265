import { withBackupAccess } from "@/lib/auth/route";
import { downloadGet, downloadHead } from "@/lib/http/download";

// GET /api/v1/backups/download/{filename} — the archive, streamed; Range gets 206 (lib/http/download.ts).
export const GET = withBackupAccess<{ filename: string }>((request, caller, { filename }) => downloadGet(request, caller, filename));

// HEAD — the same headers without opening the file or auditing a download (Next would otherwise run GET).
export const HEAD = withBackupAccess<{ filename: string }>((request, caller, { filename }) => downloadHead(request, caller, filename));

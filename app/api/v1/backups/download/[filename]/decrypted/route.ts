import { withBackupAccess } from "@/lib/auth/route";
import { downloadDecrypted } from "@/lib/http/download-decrypted";

// POST /api/v1/backups/download/{filename}/decrypted — {key} → the encrypted backup as its plain zip, streamed.
// A POST, so the key travels in the body, never in a URL (logs, history).
export const POST = withBackupAccess<{ filename: string }>((request, caller, { filename }) => downloadDecrypted(request, caller, filename));

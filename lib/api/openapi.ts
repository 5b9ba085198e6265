/** The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json. Keep it beside the routes' changes. */

const error = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});
const common = {
  "401": error("No session and no valid API token (missing, malformed, unknown or revoked)"),
  "403": error("Signed in, without access to backups"),
  "404": error("The backup module is disabled, or no such backup"),
};
const fileName = {
  name: "filename",
  in: "path",
  required: true,
  schema: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*\\.zip(\\.age)?$", maxLength: 200 },
};
const id = { name: "key", in: "path", required: true, schema: { type: "integer", minimum: 1 }, description: "The backup's id" };
const ref = {
  name: "key",
  in: "path",
  required: true,
  schema: {
    oneOf: [
      { type: "integer", minimum: 1 },
      { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*\\.zip(\\.age)?$", maxLength: 200 },
    ],
  },
  description: "The job's id, or a backup's file name",
};
const job = { description: "The job's record", content: { "application/json": { schema: { $ref: "#/components/schemas/Backup" } } } };
const accepted = {
  description: "Started; poll the URL for progress",
  content: { "application/json": { schema: { $ref: "#/components/schemas/Started" } } },
};

export const openApiDocument = {
  openapi: "3.1.0",
  info: { title: "Safekeep API", version: "1", description: "Create, watch, download, restore, cancel and delete backups." },
  servers: [{ url: "/" }],
  security: [{ bearer: [] }, { session: [] }],
  paths: {
    "/api/v1/backups": {
      get: {
        summary: "List backups, newest first",
        parameters: [{ name: "page", in: "query", schema: { type: "integer", minimum: 1, default: 1 } }],
        responses: {
          "200": { description: "A page of backups", content: { "application/json": { schema: { $ref: "#/components/schemas/BackupPage" } } } },
          "400": error("Bad page number"),
          ...common,
        },
      },
      post: {
        summary: "Start a backup in the background",
        requestBody: { required: false, content: { "application/json": { schema: { type: "object", additionalProperties: false } } } },
        responses: { "202": accepted, "409": error("A backup or restore is already running"), "413": error("Body too large"), ...common },
      },
    },
    "/api/v1/backups/{key}": {
      get: {
        summary: "One backup, restore or verify job, with its live progress",
        parameters: [ref],
        responses: { "200": job, "400": error("Neither an id nor a file name"), ...common },
      },
      delete: {
        summary: "Delete a backup (archive, log and record), by file name or id",
        parameters: [ref],
        responses: { "204": { description: "Deleted" }, "400": error("Neither an id nor a file name"), "409": error("Still running"), ...common },
      },
    },
    "/api/v1/backups/{key}/events": {
      get: {
        summary: "Follow a job: Server-Sent Events, one `data:` line with the job (as GET /api/v1/backups/{key}) now and at each change, until it ends",
        parameters: [id],
        responses: { "200": { description: "text/event-stream" }, "400": error("Not an id"), ...common },
      },
    },
    "/api/v1/backups/{key}/log": {
      get: {
        summary: "The end of a job's log (at most the last 64 KB), as plain text; X-Job-Status gives the job's status",
        parameters: [id],
        responses: {
          "200": { description: "The log", content: { "text/plain": { schema: { type: "string" } } } },
          "400": error("Not an id"),
          ...common,
        },
      },
    },
    "/api/v1/backups/{key}/cancel": {
      post: {
        summary: "Cancel a queued or running backup (or a restore before it replaces data)",
        parameters: [id],
        responses: { "200": job, "409": error("Not running, or a restore already replacing data"), ...common },
      },
    },
    "/api/v1/backups/restore": {
      post: {
        summary: "Restore a backup in the background (a safety backup is made first)",
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["fileName", "confirm"],
                properties: {
                  fileName: { type: "string" },
                  confirm: { type: "string", description: "The file name again" },
                  only: { type: "string", enum: ["database", "files"] },
                  restoreAccounts: { type: "boolean", description: "Restoring the portal's own database: also bring back its users, roles and tokens" },
                  key: {
                    type: "string",
                    description: "An encrypted backup (.zip.age): its private key (an age identity file's text) or passphrase, used for this restore only",
                  },
                  allowUnencrypted: { type: "boolean", description: "Restore a plain zip although the settings encrypt backups" },
                },
              },
            },
          },
        },
        responses: {
          "202": accepted,
          "400": error("Not JSON"),
          "409": error("A backup or restore is already running"),
          "413": error("Body too large"),
          "415": error("Not application/json"),
          "422": error("Invalid body, or the confirmation does not repeat the file name"),
          ...common,
          "403": error("Signed in without access to backups, or not an administrator (restoring is for administrators)"),
        },
      },
    },
    "/api/v1/backups/download/{filename}/decrypted": {
      post: {
        summary: "Download an encrypted backup (.zip.age) as its plain zip, decrypted as it streams; the key is used for this response only",
        parameters: [fileName],
        requestBody: {
          required: false,
          content: {
            "application/json": {
              schema: { type: "object", properties: { key: { type: "string", description: "Private key (AGE-SECRET-KEY-1…) or passphrase" } } },
            },
          },
        },
        responses: {
          "200": { description: "The plain zip", content: { "application/zip": { schema: { type: "string", format: "binary" } } } },
          "400": error("Not a backup file name"),
          "422": error("Not encrypted, or the key does not open it"),
          ...common,
        },
      },
    },
    "/api/v1/backups/download/{filename}": {
      get: {
        summary: "Download a completed backup (streamed; Range requests resume an interrupted download)",
        parameters: [fileName, { name: "Range", in: "header", required: false, schema: { type: "string", example: "bytes=1048576-" } }],
        responses: {
          "200": { description: "The archive", content: { "application/zip": { schema: { type: "string", format: "binary" } } } },
          "206": { description: "The requested bytes", content: { "application/zip": { schema: { type: "string", format: "binary" } } } },
          "400": error("Not a backup file name"),
          "416": { description: "Range not satisfiable" },
          ...common,
        },
      },
      head: {
        summary: "The download's headers (size, type, ranges) without its body: nothing is audited or deleted",
        parameters: [fileName, { name: "Range", in: "header", required: false, schema: { type: "string" } }],
        responses: {
          "200": { description: "The archive's headers" },
          "206": { description: "The range's headers" },
          "400": error("Not a backup file name"),
          "416": { description: "Range not satisfiable" },
          ...common,
        },
      },
    },
    "/api/v1/openapi.json": {
      get: { summary: "This document", security: [], responses: { "200": { description: "OpenAPI 3.1" } } },
    },
  },
  components: {
    securitySchemes: {
      bearer: { type: "http", scheme: "bearer", description: "A personal API token made on the API tokens page" },
      session: { type: "apiKey", in: "cookie", name: "next-auth.session-token" },
    },
    schemas: {
      Error: {
        type: "object",
        required: ["error"],
        properties: { error: { type: "object", required: ["code", "message"], properties: { code: { type: "string" }, message: { type: "string" } } } },
      },
      Started: { type: "object", properties: { id: { type: "integer" }, fileName: { type: "string" }, status: { type: "string" }, url: { type: "string" } } },
      Backup: {
        type: "object",
        properties: {
          id: { type: "integer" },
          fileName: { type: "string" },
          kind: { type: "string", enum: ["backup", "safety", "restore", "verify"] },
          status: { type: "string", enum: ["queued", "running", "cancelling", "completed", "failed", "cancelled", "unverified"] },
          statusLabel: { type: "string", description: 'The status as people read it: "completed with warnings", "not verified", …' },
          warningCount: { type: "integer", description: "What the archive could not keep (sockets, vanished files): see the log" },
          steps: {
            type: "array",
            description: "What followed the job (retention, notify, …) and how it went",
            items: {
              type: "object",
              properties: { name: { type: "string" }, state: { type: "string", enum: ["running", "done", "failed"] }, detail: { type: "string" } },
            },
          },
          phase: { type: "string" },
          percent: { type: "number" },
          bytesDone: { type: "number" },
          bytesTotal: { type: "number" },
          sizeBytes: { type: ["number", "null"] },
          sha256: { type: ["string", "null"] },
          error: { type: ["string", "null"] },
          requestedBy: { type: ["string", "null"] },
          pinned: { type: "boolean", description: "Retention never deletes a pinned backup" },
          mailError: { type: ["string", "null"], description: "Why the notification mail could not be sent" },
          offsite: {
            type: "object",
            description: 'Offsite copies: `label` is "offsite copy failed" when any destination\'s copy failed',
            properties: {
              state: { type: "string", enum: ["none", "stored", "uploading", "failed"] },
              label: { type: ["string", "null"] },
              copies: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    destinationId: { type: "string" },
                    url: { type: "string", description: "s3://bucket/prefix/<name>.zip" },
                    state: { type: "string", enum: ["uploading", "stored", "failed", "deleted"] },
                    sizeBytes: { type: ["number", "null"] },
                    error: { type: ["string", "null"] },
                    updatedAt: { type: "string", format: "date-time" },
                  },
                },
              },
            },
          },
          sourceFileName: { type: ["string", "null"], description: "For a restore: the archive restored" },
          safetyFileName: { type: ["string", "null"], description: "For a restore: the safety backup made first" },
          createdAt: { type: "string", format: "date-time" },
          finishedAt: { type: ["string", "null"], format: "date-time" },
        },
      },
      BackupPage: {
        type: "object",
        properties: { items: { type: "array", items: { $ref: "#/components/schemas/Backup" } }, total: { type: "integer" }, pages: { type: "integer" } },
      },
    },
  },
} as const;

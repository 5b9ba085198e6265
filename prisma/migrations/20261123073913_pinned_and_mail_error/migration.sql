-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Backup" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "fileName" TEXT NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'backup',
    "status" TEXT NOT NULL DEFAULT 'queued',
    "phase" TEXT NOT NULL DEFAULT 'queued',
    "percent" REAL NOT NULL DEFAULT 0,
    "bytesDone" REAL NOT NULL DEFAULT 0,
    "bytesTotal" REAL NOT NULL DEFAULT 0,
    "sizeBytes" REAL,
    "sha256" TEXT,
    "error" TEXT,
    "pid" INTEGER,
    "heartbeatAt" DATETIME,
    "exclusiveSlot" TEXT,
    "requestedById" INTEGER,
    "sourceFileName" TEXT,
    "restoreParts" TEXT,
    "safetyFileName" TEXT,
    "pinned" BOOLEAN NOT NULL DEFAULT false,
    "mailError" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    CONSTRAINT "Backup_requestedById_fkey" FOREIGN KEY ("requestedById") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Backup" ("bytesDone", "bytesTotal", "createdAt", "error", "exclusiveSlot", "fileName", "finishedAt", "heartbeatAt", "id", "kind", "percent", "phase", "pid", "requestedById", "restoreParts", "safetyFileName", "sha256", "sizeBytes", "sourceFileName", "startedAt", "status") SELECT "bytesDone", "bytesTotal", "createdAt", "error", "exclusiveSlot", "fileName", "finishedAt", "heartbeatAt", "id", "kind", "percent", "phase", "pid", "requestedById", "restoreParts", "safetyFileName", "sha256", "sizeBytes", "sourceFileName", "startedAt", "status" FROM "Backup";
DROP TABLE "Backup";
ALTER TABLE "new_Backup" RENAME TO "Backup";
CREATE UNIQUE INDEX "Backup_fileName_key" ON "Backup"("fileName");
CREATE UNIQUE INDEX "Backup_exclusiveSlot_key" ON "Backup"("exclusiveSlot");
CREATE INDEX "Backup_createdAt_idx" ON "Backup"("createdAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;


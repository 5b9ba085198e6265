-- Offsite copies: one row per backup and destination, with the state of a multipart upload to resume.
CREATE TABLE "OffsiteCopy" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "fileName" TEXT NOT NULL,
    "destinationId" TEXT NOT NULL,
    "bucket" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'uploading',
    "sizeBytes" REAL,
    "sha256" TEXT,
    "upload" TEXT,
    "error" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "OffsiteCopy_fileName_destinationId_key" ON "OffsiteCopy"("fileName", "destinationId");
CREATE INDEX "OffsiteCopy_destinationId_idx" ON "OffsiteCopy"("destinationId");

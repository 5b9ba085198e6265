-- Post-job steps and warnings. Jobs that ended before this change owe no steps: mark them done ('[]').
ALTER TABLE "Backup" ADD COLUMN "warningCount" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Backup" ADD COLUMN "steps" TEXT;
UPDATE "Backup" SET "steps" = '[]' WHERE "status" IN ('completed', 'failed', 'cancelled');

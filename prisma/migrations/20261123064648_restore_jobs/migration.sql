-- AlterTable
ALTER TABLE "Backup" ADD COLUMN "restoreParts" TEXT;
ALTER TABLE "Backup" ADD COLUMN "safetyFileName" TEXT;
ALTER TABLE "Backup" ADD COLUMN "sourceFileName" TEXT;


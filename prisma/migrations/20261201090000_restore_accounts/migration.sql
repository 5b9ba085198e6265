-- A restore of the portal's own database keeps today's accounts unless the admin asks for the backup's.
ALTER TABLE "Backup" ADD COLUMN "restoreAccounts" BOOLEAN NOT NULL DEFAULT false;

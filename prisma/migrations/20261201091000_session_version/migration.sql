-- AlterTable: a constant default, so SQLite adds the column in place (no table rebuild).
ALTER TABLE "User" ADD COLUMN "sessionVersion" INTEGER NOT NULL DEFAULT 0;

import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "@/generated/prisma/client";
import { portalDatabaseFile } from "@/lib/config";
import { securePortalDatabaseFiles } from "@/lib/db-files";

export type { Backup, User, AuditEvent } from "@/generated/prisma/client";

function connect(): PrismaClient {
  const file = portalDatabaseFile();
  for (const change of securePortalDatabaseFiles(file)) console.warn(`Safekeep: the portal's database must be private: ${change}`);
  // The web server and the background process write at the same time: wait for the lock instead of failing.
  const adapter = new PrismaBetterSQLite3({ url: `file:${file}`, timeout: 10_000 });
  return new PrismaClient({ adapter });
}

const globalForPrisma = globalThis as unknown as { safekeepPrisma?: PrismaClient };

export const prisma: PrismaClient = globalForPrisma.safekeepPrisma ?? connect();
globalForPrisma.safekeepPrisma = prisma;

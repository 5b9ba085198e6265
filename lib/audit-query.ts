import { z } from "zod";
import { prisma } from "@/lib/db";

export const AUDIT_PAGE_SIZE = 50;

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((v) => !Number.isNaN(Date.parse(v)));

/** The audit page's filters, from the query string: anything malformed is dropped rather than refused. */
export const auditFilterSchema = z.object({
  action: z
    .string()
    .trim()
    .max(100)
    .regex(/^[a-z.-]*$/)
    .optional()
    .catch(undefined),
  actor: z.string().trim().max(200).optional().catch(undefined),
  from: day.optional().catch(undefined),
  to: day.optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(1_000_000).catch(1),
});

export type AuditFilter = z.infer<typeof auditFilterSchema>;

export async function queryAudit(filter: AuditFilter) {
  const at: { gte?: Date; lt?: Date } = {};
  if (filter.from) at.gte = new Date(`${filter.from}T00:00:00Z`);
  // Inclusive of the whole "to" day.
  if (filter.to) at.lt = new Date(Date.parse(`${filter.to}T00:00:00Z`) + 24 * 3600 * 1000);
  const where = {
    ...(filter.action ? { action: filter.action } : {}),
    ...(filter.actor ? { actorEmail: { contains: filter.actor } } : {}),
    ...(filter.from || filter.to ? { at } : {}),
  };
  const [rows, total, actions] = await Promise.all([
    prisma.auditEvent.findMany({
      where,
      orderBy: { id: "desc" },
      skip: (filter.page - 1) * AUDIT_PAGE_SIZE,
      take: AUDIT_PAGE_SIZE,
    }),
    prisma.auditEvent.count({ where }),
    prisma.auditEvent.findMany({ distinct: ["action"], select: { action: true }, orderBy: { action: "asc" } }),
  ]);
  return {
    rows,
    total,
    pages: Math.max(1, Math.ceil(total / AUDIT_PAGE_SIZE)),
    actions: actions.map((a) => a.action),
  };
}

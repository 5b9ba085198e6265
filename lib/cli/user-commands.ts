import { parseArgs } from "node:util";
import { prisma } from "@/lib/db";
import { createUser, generatePassword, newUserSchema } from "@/lib/users";

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
}

/** Passwords never come as arguments (`ps` shows those): from stdin, or generated and printed once. */
export async function userCreate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      email: { type: "string" },
      role: { type: "string", default: "user" },
      name: { type: "string" },
      "password-stdin": { type: "boolean" },
    },
  });
  const generated = values["password-stdin"] ? null : generatePassword();
  const password = generated ?? (await readStdinLine());
  const input = newUserSchema.safeParse({ email: values.email, role: values.role, name: values.name, password });
  if (!input.success) {
    for (const issue of input.error.issues) console.error(`${issue.path.join(".") || "input"}: ${issue.message}`);
    return 2;
  }
  if (await prisma.user.findUnique({ where: { email: input.data.email } })) {
    console.error(`A user with the email ${input.data.email} already exists`);
    return 2;
  }
  const user = await createUser(input.data);
  console.log(`Created ${user.role} ${user.email}`);
  if (generated) console.log(`Password (shown once): ${generated}`);
  return 0;
}

/** The first admin: from ADMIN_EMAIL/ADMIN_PASSWORD when set, otherwise generated and printed once. */
export async function adminEnsure(_args: string[]): Promise<number> {
  const email = process.env.ADMIN_EMAIL?.trim() || "admin@localhost";
  const existingAdmin = await prisma.user.findFirst({ where: { role: { name: "admin" } } });
  if (existingAdmin && !process.env.ADMIN_EMAIL) {
    console.log(`Admin account exists: ${existingAdmin.email}`);
    return 0;
  }
  if (await prisma.user.findUnique({ where: { email: email.toLowerCase() } })) {
    console.log(`Admin account exists: ${email}`);
    return 0;
  }
  const generated = process.env.ADMIN_PASSWORD ? null : generatePassword();
  const user = await createUser({ email, role: "admin", name: "Administrator", password: process.env.ADMIN_PASSWORD ?? generated! });
  console.log(`Created the first admin: ${user.email}`);
  if (generated) {
    console.log("");
    console.log(`  Sign in as ${user.email} with the password: ${generated}`);
    console.log("  (shown once; set ADMIN_EMAIL and ADMIN_PASSWORD before setup to choose your own)");
    console.log("");
  }
  return 0;
}

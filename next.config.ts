import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native addons must be loaded by Node at run time, not bundled.
  serverExternalPackages: ["better-sqlite3", "@prisma/adapter-better-sqlite3", "argon2"],
  experimental: {
    // forbidden() renders a real 403 for signed-in people without access.
    authInterrupts: true,
  },
  poweredByHeader: false,
};

export default nextConfig;

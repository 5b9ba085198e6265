/** The fields of a database reached over the network (or a Unix socket), as read from its URL. */
export interface ServerFields {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  socket: string | null;
}

// Control characters would end a line in a credentials file and start a new option there.
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Reads `scheme://user:password@host:port/database?socket=/path` for a client-server database. Every
 * field is later handed to a client program, so each is checked here: no control characters anywhere,
 * one database name of sensible length. Names that look like options (`--version`) are allowed: the
 * clients receive them only in forms that cannot be read as an option.
 */
export function parseServerUrl(url: string, defaults: { port: number; user: string; example: string; maxNameLength: number }): ServerFields {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("The database URL is not a valid URL");
  }
  const decode = (value: string, what: string) => {
    try {
      return decodeURIComponent(value);
    } catch {
      throw new Error(`The ${what} in the database URL is not correctly %-encoded`);
    }
  };
  const database = decode(parsed.pathname.replace(/^\//, ""), "database name");
  if (!database || /[/\\]/.test(database)) throw new Error(`The database URL must name one database, e.g. ${defaults.example}`);
  const fields: ServerFields = {
    host: parsed.hostname || "127.0.0.1",
    port: Number(parsed.port) || defaults.port,
    user: decode(parsed.username, "user name") || defaults.user,
    password: decode(parsed.password, "password"),
    database,
    socket: parsed.searchParams.get("socket"),
  };
  for (const [what, value] of [
    ["database name", fields.database],
    ["user name", fields.user],
    ["password", fields.password],
    ["host", fields.host],
    ["socket path", fields.socket ?? ""],
  ] as const) {
    if (CONTROL.test(value))
      throw new Error(`The ${what} in the database URL contains a control character (such as a line break), which no database client accepts`);
  }
  if ([...database].length > defaults.maxNameLength)
    throw new Error(`The database name in the database URL is longer than ${defaults.maxNameLength} characters`);
  if (fields.socket !== null && !fields.socket.startsWith("/"))
    throw new Error("The socket in the database URL must be an absolute path, e.g. ?socket=/run/mysqld/mysqld.sock");
  return fields;
}

/** How a client-server database is named to people and in manifests: never with its password. */
export function describeServer(kind: string, target: ServerFields): string {
  return `${kind} ${target.database} on ${target.socket ?? `${target.host}:${target.port}`} as ${target.user}`;
}

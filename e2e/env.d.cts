interface Account {
  email: string;
  password: string;
  role: "admin" | "user";
}
export declare const E2E: {
  port: number;
  baseURL: string;
  dataDir: string;
  databaseFile: string;
  backupDir: string;
  storageDir: string;
  stateDir: string;
  sessionSecret: string;
  isolatedEnv(dir: string): Record<string, string>;
  admin: Account;
  user: Account;
};

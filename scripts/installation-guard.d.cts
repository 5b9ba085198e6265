export function installationListing(root?: string): string[];
export function installationChanges(before: string[], after: string[]): string | null;

/** Names and URLs of the throw-away PostgreSQL databases of a test run (TEST_DATABASE_URL). */

export function templateName(): string {
  return `passnum_tpl_${process.pid}`;
}

export function databaseUrl(baseUrl: string, database: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The server's own database of TEST_DATABASE_URL, to create and drop the others from. */
export function adminUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  if (!url.username) url.username = process.env.PGUSER ?? (process.env.USER || 'root');
  return url.toString();
}

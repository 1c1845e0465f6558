import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { AppContext } from '../../app-context.js';
import { PREPARED } from '../../db/prepared.js';
import { batchedLoader } from '../../lib/batched-loader.js';
import { hashSecretToken, newSecretToken, sameHash } from '../../lib/secret-tokens.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { scopesFor, type ApiScope, type OrganisationKind } from './model.js';

/** Machine clients authenticate with `Authorization: Bearer pn_<prefix>_<secret>`. */
const TOKEN_FORMAT = /^pn_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export interface ApiClient {
  tokenId: string;
  organisationId: string;
  organisationKind: OrganisationKind;
  scopes: ApiScope[];
}

/** Creates a token; the clear value is returned once, here, and only its hash is kept. */
export async function createApiToken(
  ctx: AppContext,
  actor: Actor,
  input: { organisationId: string; organisationKind: OrganisationKind; name: string; scopes: ApiScope[] },
): Promise<{ tokenId: string; token: string }> {
  const allowed = scopesFor(input.organisationKind);
  if (input.scopes.some((scope) => !allowed.includes(scope))) throw new DomainError('scope_not_allowed', 'scopes');
  const prefix = randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12);
  const secret = newSecretToken();
  const now = ctx.clock.now();
  const tokenId = await ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('api_tokens')
      .values({
        organisation_id: input.organisationId,
        name: input.name.trim(),
        prefix,
        secret_hash: hashSecretToken(secret),
        scopes: [...new Set(input.scopes)],
        created_by: actor.userId,
        created_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAuditEvent(trx, actor, now, {
      action: 'api_token.created',
      subjectType: 'api_token',
      subjectId: row.id,
      after: { name: input.name.trim(), prefix, scopes: input.scopes },
    });
    return row.id;
  });
  return { tokenId, token: `pn_${prefix}_${secret}` };
}

export function listApiTokens(ctx: AppContext, organisationId: string) {
  return ctx.db
    .selectFrom('api_tokens')
    .select(['id', 'name', 'prefix', 'scopes', 'created_at as createdAt', 'last_used_at as lastUsedAt', 'revoked_at as revokedAt'])
    .where('organisation_id', '=', organisationId)
    .orderBy('created_at', 'desc')
    .execute();
}

const LAST_USED_PRECISION_MS = 60_000;

/** Revokes a token of the given organisation (another organisation's token is "unknown"). */
export async function revokeApiToken(ctx: AppContext, actor: Actor, input: { organisationId: string; tokenId: string }): Promise<void> {
  const now = ctx.clock.now();
  const prefix = await ctx.db.transaction().execute(async (trx) => {
    const revoked = await trx
      .updateTable('api_tokens')
      .set({ revoked_at: now, revoked_by: actor.userId })
      .where('id', '=', input.tokenId)
      .where('organisation_id', '=', input.organisationId)
      .where('revoked_at', 'is', null)
      .returning(['id', 'name', 'prefix'])
      .executeTakeFirst();
    if (!revoked) throw new DomainError('api_token_unknown');
    await recordAuditEvent(trx, actor, now, {
      action: 'api_token.revoked',
      subjectType: 'api_token',
      subjectId: revoked.id,
      before: { name: revoked.name, prefix: revoked.prefix },
    });
    return revoked.prefix;
  });
  // Once committed: a request looking it up meanwhile may have found it still valid.
  recentTokens(ctx).delete(prefix);
}

interface TokenRow {
  id: string;
  prefix: string;
  organisation_id: string;
  kind: OrganisationKind;
  secret_hash: Buffer;
  scopes: string[];
  last_used_at: Date | null;
}

/**
 * Tokens by prefix, for concurrent requests in one query (lib/batched-loader.ts): a busy client's
 * software sends many requests at once. Two lookups may run at once, so that a request rarely waits
 * for another's lookup before its own (measured: npm run bench -- redeem). One loader per
 * application context.
 */
const tokenLoaders = new WeakMap<AppContext, (prefix: string) => Promise<TokenRow | undefined>>();

function tokenLoader(ctx: AppContext) {
  let loader = tokenLoaders.get(ctx);
  if (!loader) {
    loader = batchedLoader(async (prefixes: readonly string[]) => {
      // Fixed text whatever the number of prefixes: prepared once per connection (db/prepared.ts).
      const { rows } = await sql<TokenRow>`${sql.raw(PREPARED)}
        select t.id, t.prefix, t.organisation_id, o.kind, t.secret_hash, t.scopes, t.last_used_at
        from api_tokens t
        join organisations o on o.id = t.organisation_id
        where t.prefix = any(${prefixes}::text[]) and t.revoked_at is null`.execute(ctx.db);
      return new Map(rows.map((row) => [row.prefix, row]));
    }, 2);
    tokenLoaders.set(ctx, loader);
  }
  return loader;
}

/** How long a token found valid may be taken as still valid by a route that checks it again as it writes. */
export const RECENT_TOKEN_MS = 60_000;
/** Tokens kept at most: valid ones only, so as many as the clients in service; past this, forgotten all at once. */
const RECENT_TOKENS_MAX = 10_000;

/**
 * Tokens found valid lately, by prefix, with when they were found so. Only for the routes that
 * check the token again in the transaction that writes (access `tokenRecheckedInTransaction`: the
 * counter's batches): a token revoked since is refused there, before anything is written, and
 * revoking it here forgets it at once. Every other route looks its token up at each request.
 */
const recentTokenMaps = new WeakMap<AppContext, Map<string, { row: TokenRow; foundAt: number }>>();

function recentTokens(ctx: AppContext) {
  let recent = recentTokenMaps.get(ctx);
  if (!recent) {
    recent = new Map();
    recentTokenMaps.set(ctx, recent);
  }
  return recent;
}

/**
 * The client behind a bearer token, or undefined when malformed, unknown or revoked. With
 * `recent`, a token found valid less than RECENT_TOKEN_MS ago is not looked up again: only for a
 * route that checks it again as it writes (see recentTokens).
 */
export async function authenticateApiToken(ctx: AppContext, bearer: string, options: { recent?: boolean } = {}): Promise<ApiClient | undefined> {
  const match = TOKEN_FORMAT.exec(bearer);
  if (!match) return undefined;
  const prefix = match[1]!;
  const now = ctx.clock.now();
  const recent = recentTokens(ctx);
  const seen = options.recent ? recent.get(prefix) : undefined;
  let row: TokenRow | undefined;
  if (seen && now.getTime() - seen.foundAt < RECENT_TOKEN_MS) {
    row = seen.row;
  } else {
    row = await tokenLoader(ctx)(prefix);
    if (row) {
      if (recent.size >= RECENT_TOKENS_MAX) recent.clear();
      recent.set(prefix, { row, foundAt: now.getTime() });
    } else {
      recent.delete(prefix);
    }
  }
  if (!row || !sameHash(row.secret_hash, hashSecretToken(match[2]!))) return undefined;
  // "Last used" to the minute: writing it on every request would make each request of a busy client
  // commit twice and queue on this one row.
  if (row.last_used_at === null || now.getTime() - row.last_used_at.getTime() >= LAST_USED_PRECISION_MS) {
    row.last_used_at = now;
    await ctx.db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  return { tokenId: row.id, organisationId: row.organisation_id, organisationKind: row.kind, scopes: row.scopes as ApiScope[] };
}

import path from 'node:path';

/** Everything the environment can set, read once at start-up (see README, "Configuration"). */
export interface Config {
  port: number;
  host: string;
  /** Base of the links written in e-mails; https here turns on Secure cookies. */
  publicUrl: string;
  /** PGlite data directory, used when databaseUrl is not set; mail files go below it too. */
  dataDir: string;
  databaseUrl: string | undefined;
  /** Load the demo world on an empty embedded database. */
  demo: boolean;
  smtpUrl: string | undefined;
  mailFrom: string;
  mailDir: string;
  logLevel: string;
  sessionTtlHours: number;
  invitationTtlHours: number;
  passwordResetTtlMinutes: number;
  rateLimits: {
    /** Sign-in attempts per network origin (an IPv6 /64 counts as one). */
    signIn: { max: number; windowMs: number };
    /** Failed sign-ins per account, whatever their origin (kept in the database). */
    signInPerAccount: { max: number; windowMs: number };
    passwordReset: { max: number; windowMs: number };
  };
  /** Number of reverse proxies in front of passnum whose X-Forwarded-For is trusted (0: none). */
  trustedProxies: number;
  /**
   * Map tiles of /lieux, a Leaflet URL template ({z}/{x}/{y}, optional {s}); its origin is allowed by
   * the Content-Security-Policy. The list of places works without them.
   */
  mapTilesUrl: string;
  /** Credit shown on the map, as required by the tile provider. */
  mapTilesAttribution: string;
  /**
   * The secret voucher codes are hashed and sealed with (PASSNUM_VOUCHER_SECRET, base64, ≥ 32
   * bytes); unset, a file `voucher-secret` in the data directory (domains/vouchers/codes.ts).
   */
  voucherSecret: Buffer | undefined;
  /** Refused redemptions per place or per client in 10 minutes before further attempts are refused. */
  redemptionFailuresMax: number;
  /** Code checks on the holder's page (/mon-pass) per network origin and hour. */
  holderLookupsMax: number;
  /** Who runs this installation, as printed on order forms and invoices. */
  platform: {
    name: string;
    address: string;
    siret: string;
    email: string;
    /** Intra-EU VAT number; null: derived from the SIRET (print/invoice.ts), as the tax office does. */
    vatNumber: string | null;
  };
  /**
   * The money rules (DOMAIN.md), recorded with each settlement so that history never moves: fees in
   * basis points of the vouchers' value (300 + 100 = 4 %), scans taken for a month until its grace
   * day of the next month, subscription prices excluding VAT, the account transfers leave from.
   */
  money: {
    platformFeeBp: number;
    fundFeeBp: number;
    graceDay: number;
    subscriptionMonthlyCents: number;
    subscriptionYearlyCents: number;
    vatBp: number;
    /** Day of the month transfers are requested for (the SEPA file's execution date). */
    payoutDay: number;
    debtor: { name: string; iban: string; bic: string };
  };
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = path.resolve(env.PASSNUM_DATA_DIR ?? 'data');
  const port = integer(env.PORT, 3000, 'PORT');
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    publicUrl: (env.PASSNUM_PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, ''),
    dataDir,
    databaseUrl: env.DATABASE_URL || undefined,
    demo: env.PASSNUM_DEMO !== '0',
    smtpUrl: env.SMTP_URL || undefined,
    mailFrom: env.PASSNUM_MAIL_FROM ?? 'passnum <ne-pas-repondre@passnum.localhost>',
    mailDir: path.resolve(env.PASSNUM_MAIL_DIR ?? path.join(dataDir, 'mail')),
    logLevel: env.LOG_LEVEL ?? 'info',
    sessionTtlHours: integer(env.PASSNUM_SESSION_TTL_HOURS, 12, 'PASSNUM_SESSION_TTL_HOURS'),
    invitationTtlHours: integer(env.PASSNUM_INVITATION_TTL_HOURS, 7 * 24, 'PASSNUM_INVITATION_TTL_HOURS'),
    passwordResetTtlMinutes: integer(env.PASSNUM_RESET_TTL_MINUTES, 60, 'PASSNUM_RESET_TTL_MINUTES'),
    rateLimits: {
      signIn: { max: integer(env.PASSNUM_SIGN_IN_MAX, 30, 'PASSNUM_SIGN_IN_MAX'), windowMs: 15 * 60_000 },
      signInPerAccount: { max: integer(env.PASSNUM_SIGN_IN_ACCOUNT_MAX, 10, 'PASSNUM_SIGN_IN_ACCOUNT_MAX'), windowMs: 15 * 60_000 },
      passwordReset: { max: integer(env.PASSNUM_RESET_MAX, 5, 'PASSNUM_RESET_MAX'), windowMs: 60 * 60_000 },
    },
    trustedProxies: integer(env.PASSNUM_TRUST_PROXY, 0, 'PASSNUM_TRUST_PROXY'),
    mapTilesUrl: tilesUrl(env.PASSNUM_MAP_TILES_URL || 'https://tile.openstreetmap.org/{z}/{x}/{y}.png'),
    mapTilesAttribution: env.PASSNUM_MAP_TILES_ATTRIBUTION || '© les contributeurs d’OpenStreetMap',
    voucherSecret: voucherSecret(env.PASSNUM_VOUCHER_SECRET),
    redemptionFailuresMax: integer(env.PASSNUM_REDEMPTION_FAILURES_MAX, 20, 'PASSNUM_REDEMPTION_FAILURES_MAX'),
    holderLookupsMax: integer(env.PASSNUM_HOLDER_LOOKUPS_MAX, 30, 'PASSNUM_HOLDER_LOOKUPS_MAX'),
    platform: {
      name: env.PASSNUM_PLATFORM_NAME || 'passnum (instance de démonstration)',
      address: env.PASSNUM_PLATFORM_ADDRESS || 'Adresse à configurer (PASSNUM_PLATFORM_ADDRESS)',
      siret: env.PASSNUM_PLATFORM_SIRET || '00000000000000',
      email: env.PASSNUM_PLATFORM_EMAIL || 'contact@passnum.localhost',
      vatNumber: env.PASSNUM_PLATFORM_VAT_NUMBER?.replace(/\s/gu, '') || null,
    },
    money: {
      platformFeeBp: integer(env.PASSNUM_FEE_PLATFORM_BP, 300, 'PASSNUM_FEE_PLATFORM_BP'),
      fundFeeBp: integer(env.PASSNUM_FEE_FUND_BP, 100, 'PASSNUM_FEE_FUND_BP'),
      graceDay: integer(env.PASSNUM_SETTLEMENT_GRACE_DAY, 5, 'PASSNUM_SETTLEMENT_GRACE_DAY'),
      subscriptionMonthlyCents: integer(env.PASSNUM_SUBSCRIPTION_MONTHLY_CENTS, 700, 'PASSNUM_SUBSCRIPTION_MONTHLY_CENTS'),
      subscriptionYearlyCents: integer(env.PASSNUM_SUBSCRIPTION_YEARLY_CENTS, 7700, 'PASSNUM_SUBSCRIPTION_YEARLY_CENTS'),
      vatBp: integer(env.PASSNUM_VAT_BP, 2000, 'PASSNUM_VAT_BP'),
      payoutDay: integer(env.PASSNUM_PAYOUT_DAY, 10, 'PASSNUM_PAYOUT_DAY'),
      debtor: {
        name: env.PASSNUM_PLATFORM_ACCOUNT_HOLDER || env.PASSNUM_PLATFORM_NAME || 'passnum',
        // A valid test IBAN until the installation sets its own.
        iban: env.PASSNUM_PLATFORM_IBAN || 'FR7630006000011234567890189',
        bic: env.PASSNUM_PLATFORM_BIC || 'AGRIFRPP',
      },
    },
  };
}

export function secureCookies(config: Config): boolean {
  return config.publicUrl.startsWith('https://');
}

function integer(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} doit être un entier positif (reçu « ${value} »)`);
  return parsed;
}

function voucherSecret(value: string | undefined): Buffer | undefined {
  if (!value) return undefined;
  const secret = Buffer.from(value, 'base64');
  if (secret.length < 32) throw new Error('PASSNUM_VOUCHER_SECRET doit contenir au moins 32 octets encodés en base64 (openssl rand -base64 32)');
  return secret;
}

function tilesUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value.replace(/\{[a-z]\}/gu, '0'));
  } catch {
    throw new Error(`PASSNUM_MAP_TILES_URL doit être une adresse https://…/{z}/{x}/{y}.png (reçu « ${value} »)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`PASSNUM_MAP_TILES_URL doit commencer par https:// (reçu « ${value} »)`);
  return value;
}

/** The origin of the map tiles, for the Content-Security-Policy ({s} subdomains become a wildcard). */
export function mapTilesOrigin(config: Config): string {
  const url = new URL(config.mapTilesUrl.replace('{s}', 'sub').replace(/\{[a-z]\}/gu, '0'));
  return config.mapTilesUrl.includes('{s}.') ? `${url.protocol}//*.${url.host.replace(/^sub\./u, '')}` : url.origin;
}

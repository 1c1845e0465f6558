import { createHash } from 'node:crypto';

/**
 * The ledger's accounts: one per kind, or per owner (a funder, an order, a provider, a territory).
 * Account ids derive from their key, so that posting needs no lookup: the first entry that uses an
 * account creates it (`on conflict do nothing`), every later one just names it.
 *
 * Signs: a debit is positive, a credit negative. Chart numbers follow the French chart of accounts
 * (plan comptable général), as the FEC requires of its first three digits.
 */

export const ACCOUNT_KINDS = {
  bank: { chart: '512000', label: 'Banque : compte de cantonnement des fonds du pass numérique' },
  funder_balance: { chart: '411000', label: 'Financeurs : solde' },
  vouchers_outstanding: { chart: '467100', label: 'Chèques en circulation' },
  provider_payable: { chart: '401000', label: 'Lieux qualifiés : remboursements dus' },
  platform_fees: { chart: '706000', label: 'Frais de la plateforme' },
  territorial_fund: { chart: '467200', label: 'Fonds territorial d’innovation sociale et numérique' },
  vat_collected: { chart: '445710', label: 'TVA collectée' },
  subscription_revenue: { chart: '706100', label: 'Abonnements des lieux' },
  subscriptions_receivable: { chart: '411100', label: 'Lieux : abonnements à recevoir' },
  payouts_in_transit: { chart: '467300', label: 'Virements aux lieux en cours' },
  expired_vouchers: { chart: '467400', label: 'Chèques échus à rembourser aux financeurs' },
} as const;

export type AccountKind = keyof typeof ACCOUNT_KINDS;

export type AccountRef =
  | { kind: 'bank' | 'platform_fees' | 'vat_collected' | 'subscription_revenue' | 'payouts_in_transit' }
  | { kind: 'funder_balance'; funderId: string }
  | { kind: 'vouchers_outstanding'; orderId: string; funderId: string }
  | { kind: 'expired_vouchers'; orderId: string; funderId: string }
  | { kind: 'provider_payable' | 'subscriptions_receivable'; providerId: string }
  | { kind: 'territorial_fund'; territory: string };

export function accountKey(ref: AccountRef): string {
  switch (ref.kind) {
    case 'funder_balance':
      return `${ref.kind}:${ref.funderId}`;
    case 'vouchers_outstanding':
    case 'expired_vouchers':
      return `${ref.kind}:${ref.orderId}`;
    case 'provider_payable':
    case 'subscriptions_receivable':
      return `${ref.kind}:${ref.providerId}`;
    case 'territorial_fund':
      return `${ref.kind}:${ref.territory}`;
    default:
      return ref.kind;
  }
}

/**
 * Ids already computed, by key: the counter asks for the same few accounts (an order's vouchers
 * outstanding, a provider's payable) several times per redemption. Forgotten all at once past
 * ACCOUNT_IDS_KEPT (a settlement names every provider's accounts).
 */
const accountIds = new Map<string, string>();
const ACCOUNT_IDS_KEPT = 100_000;

/** A UUID (version 8, RFC 9562: custom) from the account key: the same key, the same id everywhere. */
export function accountId(key: string): string {
  let id = accountIds.get(key);
  if (id === undefined) {
    const hex = createHash('sha256').update(`passnum ledger account ${key}`).digest('hex');
    const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
    id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    if (accountIds.size >= ACCOUNT_IDS_KEPT) accountIds.clear();
    accountIds.set(key, id);
  }
  return id;
}

export function accountRow(ref: AccountRef, now: Date) {
  const key = accountKey(ref);
  const kind = ACCOUNT_KINDS[ref.kind];
  return {
    id: accountId(key),
    key,
    kind: ref.kind,
    organisation_id: 'funderId' in ref ? ref.funderId : 'providerId' in ref ? ref.providerId : null,
    order_id: 'orderId' in ref ? ref.orderId : null,
    territory: 'territory' in ref ? ref.territory : null,
    chart_number: kind.chart,
    label: 'territory' in ref ? `${kind.label} (${ref.territory})` : kind.label,
    created_at: now,
  };
}

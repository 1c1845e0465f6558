import type { DeliveryMode } from '../../db/schema.js';
import { formatLongDate } from '../../lib/paris-dates.js';
import { PLACE_TYPOLOGIES } from '../places/manage-places.js';
import { REFERENTIAL_LEVELS, type Referential } from '../referential/model.js';
import { territoryEntryName } from '../territories/territory.js';

/**
 * An order's rules in French, one line each: what the order form, the printed vouchers, the
 * funder's pages and the holder's page say. An empty list means the vouchers are usable everywhere,
 * for every service.
 */

export interface DescribableRules {
  territory: readonly string[];
  service_levels: readonly number[];
  service_codes: readonly string[];
  place_types: readonly string[];
  holder_share_allowed: boolean;
  delivery_modes: readonly DeliveryMode[];
}

const DELIVERY_WORDS: Record<DeliveryMode, string> = { on_site: 'dans le lieu', remote: 'à distance', home: 'à domicile' };

export function territoryNames(territory: readonly string[]): string[] {
  return territory.map((entry) => {
    const name = territoryEntryName(entry) ?? entry;
    const [kind, code] = entry.split(':');
    return kind === 'departement' ? `${name} (${code})` : kind === 'commune' ? `${name} (${code})` : name;
  });
}

export function describeOrderRules(rules: DescribableRules, referential: Referential | undefined): string[] {
  const lines: string[] = [];
  if (rules.territory.length > 0) lines.push(`Valable à : ${territoryNames(rules.territory).join(', ')}`);
  const services: string[] = [];
  for (const level of rules.service_levels) {
    const found = REFERENTIAL_LEVELS.find((l) => l.code === level);
    if (found) services.push(`« ${found.label} »`);
  }
  for (const code of rules.service_codes) {
    const service = referential?.services.find((s) => s.code === code);
    services.push(service ? `${service.label} (${code})` : code);
  }
  if (services.length > 0) lines.push(`Pour les services : ${services.join(', ')}`);
  if (rules.place_types.length > 0) {
    const labels = rules.place_types.map((type) => PLACE_TYPOLOGIES.find((t) => t.value === type)?.label ?? type);
    lines.push(`Dans les lieux de type : ${labels.join(', ')}`);
  }
  if (rules.delivery_modes.length > 1) lines.push(`Service rendu ${rules.delivery_modes.map((m) => DELIVERY_WORDS[m]).join(', ')}`);
  if (!rules.holder_share_allowed) lines.push('Sans reste à payer pour la personne');
  return lines;
}

export function describeValidity(validFrom: string, validUntil: string): string {
  return `Valable du ${formatLongDate(validFrom)} au ${formatLongDate(validUntil)}`;
}

import type { DeliveryMode, PlaceStatus } from '../../../db/schema.js';
import { formatEuros, holderShareCents } from '../../../domains/places/catalogue.js';

/** French words for the codes of places and catalogues. */
export const DELIVERY_MODE_LABELS: Record<DeliveryMode, string> = {
  on_site: 'Sur place',
  remote: 'À distance',
  home: 'À domicile',
};

export const FORMAT_LABELS: Record<'individual' | 'group', string> = {
  individual: 'Individuel',
  group: 'Collectif (atelier)',
};

export const PLACE_STATUS_LABELS: Record<PlaceStatus, string> = {
  draft: 'Non publié (en attente de la qualification)',
  published: 'Publié sur la carte',
  withdrawn: 'Retiré de la carte',
};

export function parcoursLabel(sessions: number | null): string {
  return sessions === null ? 'Séance unique' : `Parcours de ${sessions} séances`;
}

/** « 12,50 € (reste à payer : 2,50 € par séance) ». */
export function priceLabel(priceCents: number): string {
  const share = holderShareCents(priceCents);
  return share === 0 ? `${formatEuros(priceCents)}, entièrement payé par le pass` : `${formatEuros(priceCents)}, dont ${formatEuros(share)} à payer par la personne`;
}

export function durationLabel(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${minutes} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${String(rest).padStart(2, '0')}`;
}

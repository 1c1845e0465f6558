/**
 * The national standard of places of digital mediation (LaMednum / ANCT, schema.data.gouv.fr):
 * reading records of v0.1 and v1 into one model (the v1.0.2 vocabulary), and writing rows of
 * v1.0.2. Pure: no database here. Sources: test/data/standard-mediation-num/ (schema.json v1.0.2,
 * v0.1.1/schema.json, descriptif-des-evolutions.txt).
 */
import { validatePhone } from '../providers/identifiers.js';
import { isStandardService, type StandardService } from '../referential/model.js';



/**
 * v0.1 had 15 services, v1 "condensed them into 9" without publishing the table: this is ours,
 * service by service, after the wording of both versions (docs/sources/national-standard.md).
 */
const V01_SERVICES: Record<string, StandardService> = {
  'Devenir autonome dans les démarches administratives': 'Aide aux démarches administratives',
  'Réaliser des démarches administratives avec un accompagnement': 'Aide aux démarches administratives',
  'Accompagner les démarches de santé': 'Aide aux démarches administratives',
  'Prendre en main un smartphone ou une tablette': 'Maîtrise des outils numériques du quotidien',
  'Prendre en main un ordinateur': 'Maîtrise des outils numériques du quotidien',
  'Utiliser le numérique au quotidien': 'Maîtrise des outils numériques du quotidien',
  'Approfondir ma culture numérique': 'Compréhension du monde numérique',
  'Promouvoir la citoyenneté numérique': 'Compréhension du monde numérique',
  'Favoriser mon insertion professionnelle': 'Insertion professionnelle via le numérique',
  'Créer et développer mon entreprise': 'Insertion professionnelle via le numérique',
  'Accéder à une connexion internet': 'Accès internet et matériel informatique',
  'Accéder à du matériel': 'Accès internet et matériel informatique',
  "S'équiper en matériel informatique": 'Acquisition de matériel informatique à prix solidaire',
  'Créer avec le numérique': 'Loisirs et créations numériques',
  "Soutenir la parentalité et l'éducation avec le numérique": 'Parentalité et éducation avec le numérique',
};

export const FEES = ['Gratuit', 'Gratuit sous condition', 'Payant'] as const;
export const SUPPORT_MODES = ['En autonomie', 'Accompagnement individuel', 'Dans un atelier collectif', 'À distance'] as const;
export const PUBLICS = ['Jeunes', 'Étudiants', 'Familles et/ou enfants', 'Seniors', 'Femmes'] as const;
export const SPECIFIC_SUPPORT = [
  'Surdité',
  'Handicaps moteurs',
  'Handicaps mentaux',
  'Illettrisme',
  'Langues étrangères (anglais)',
  'Langues étrangères (autres)',
  'Déficience visuelle',
] as const;
export const NATIONAL_PROGRAMMES = [
  'Aidants Connect',
  'Bibliothèques numérique de référence',
  'Certification PIX',
  'Conseillers numériques',
  'Emmaüs Connect',
  'France Services',
  'Grande école du numérique',
  'La Croix Rouge',
  "Point d'accès numérique CAF",
  'Promeneurs du net',
  'Relais numérique (Emmaüs Connect)',
] as const;
export const ACCESS_MODES = [
  'Se présenter',
  'Téléphoner',
  'Contacter par mail',
  'Prendre un RDV en ligne',
  "Ce lieu n'accueille pas de public",
  'Envoyer un mail avec une fiche de prescription',
] as const;

/** v0.1 values (with their explanations after " : ") → v1 values. */
const V01_FEES: Record<string, (typeof FEES)[number]> = { Gratuit: 'Gratuit', 'Gratuit sous condition': 'Gratuit sous condition', Payant: 'Payant', Adhésion: 'Payant' };
const V01_SUPPORT: Record<string, (typeof SUPPORT_MODES)[number]> = {
  Seul: 'En autonomie',
  "Avec de l'aide": 'Accompagnement individuel',
  'Dans un atelier': 'Dans un atelier collectif',
};
const V01_PUBLICS: Record<string, { publics?: (typeof PUBLICS)[number]; support?: (typeof SPECIFIC_SUPPORT)[number] }> = {
  'Seniors (+ 65 ans)': { publics: 'Seniors' },
  'Familles/enfants': { publics: 'Familles et/ou enfants' },
  'Jeunes (16-26 ans)': { publics: 'Jeunes' },
  'Uniquement femmes': { publics: 'Femmes' },
  'Public langues étrangères': { support: 'Langues étrangères (autres)' },
  'Déficience visuelle': { support: 'Déficience visuelle' },
  Surdité: { support: 'Surdité' },
  "Handicaps mentaux : déficiences limitant les activités d'une personne": { support: 'Handicaps mentaux' },
  "Personnes en situation d'illettrisme": { support: 'Illettrisme' },
};
const V01_LABELS: Record<string, (typeof NATIONAL_PROGRAMMES)[number]> = {
  CNFS: 'Conseillers numériques',
  'France Services': 'France Services',
  'Aidants Connect': 'Aidants Connect',
  'Point numérique CAF': "Point d'accès numérique CAF",
  'Grandes écoles du numérique': 'Grande école du numérique',
};
const PASS_CONDITION = 'Accepte le Pass numérique';

/** A place as the standard describes it, in the v1 vocabulary. */
export interface StandardPlace {
  sourceId: string;
  source: string;
  pivot: string | null;
  name: string;
  commune: string;
  postcode: string;
  inseeCode: string | null;
  address: string;
  addressComplement: string | null;
  latitude: number;
  longitude: number;
  typologies: string[];
  phones: string[];
  emails: string[];
  websites: string[];
  openingHours: string | null;
  summary: string | null;
  details: string | null;
  itinerant: boolean;
  parentStructure: string | null;
  updatedOn: string | null;
  services: StandardService[];
  publics: string[];
  specificSupport: string[];
  fees: string[];
  nationalProgrammes: string[];
  trainingsLabels: string[];
  otherLabels: string | null;
  accessModes: string[];
  supportModes: string[];
  accessibilityUrl: string | null;
  bookingUrl: string | null;
  acceptsPass: boolean;
}

/** A value the import dropped or corrected, the row being kept. */
export interface FieldIssue {
  field: string;
  reason: string;
}

export type ReadResult =
  | { ok: true; place: StandardPlace; issues: FieldIssue[] }
  | { ok: false; sourceId: string; reasons: string[] };

type Raw = Record<string, unknown>;

function text(raw: Raw, ...keys: string[]): string | null {
  for (const key of keys) {
    const value = raw[key];
    if (typeof value === 'number') return String(value);
    if (typeof value === 'string' && value.trim() !== '') return value.trim().replace(/\s+/g, ' ');
  }
  return null;
}

/** Lists are `|`-separated in v1 and `;`-separated in v0.1; real files mix both. */
function list(raw: Raw, ...keys: string[]): string[] {
  const value = text(raw, ...keys);
  if (!value) return [];
  const separator = value.includes('|') ? '|' : ';';
  return [...new Set(value.split(separator).map((v) => v.trim()).filter(Boolean))];
}

function coordinate(raw: Raw, key: string, limit: number): number | null {
  const value = raw[key];
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) && Math.abs(n) <= limit ? n : null;
}

/** Placeholder SIRETs and dates produced by broken exports (1969-12-31 and 1970-01-01: epoch 0). */
const PLACEHOLDER_PIVOT = /^0+$/;
const EPOCH_DAYS = new Set(['1969-12-31', '1970-01-01']);

function pick<T extends string>(values: string[], allowed: readonly T[], field: string, issues: FieldIssue[]): T[] {
  const kept = values.filter((v): v is T => (allowed as readonly string[]).includes(v));
  for (const v of values) if (!kept.includes(v as T)) issues.push({ field, reason: `valeur inconnue du standard « ${v} » ignorée` });
  return kept;
}

/**
 * Reads one record of a file in the standard (v0.1 or v1). A row without a name, an address, a
 * valid postcode or coordinates is rejected (it cannot be shown on a map nor found); other
 * problems drop the value concerned and are reported as issues.
 */
export function readStandardRecord(raw: Raw, fallbackSource: string): ReadResult {
  const sourceId = text(raw, 'id') ?? '';
  const reasons: string[] = [];
  if (!sourceId) reasons.push('identifiant (id) manquant');
  const name = text(raw, 'nom');
  if (!name) reasons.push('nom manquant');
  const address = text(raw, 'adresse');
  if (!address) reasons.push('adresse manquante');
  const postcode = text(raw, 'code_postal');
  if (!postcode) reasons.push('code postal manquant');
  else if (!/^\d{5}$/.test(postcode)) reasons.push(`code postal invalide (« ${postcode} »)`);
  const commune = text(raw, 'commune');
  if (!commune) reasons.push('commune manquante');
  const latitude = coordinate(raw, 'latitude', 90);
  const longitude = coordinate(raw, 'longitude', 180);
  if (latitude === null || longitude === null) reasons.push('coordonnées manquantes ou invalides');
  if (reasons.length || !name || !address || !postcode || !commune || latitude === null || longitude === null) {
    return { ok: false, sourceId, reasons };
  }

  const issues: FieldIssue[] = [];
  let pivot = text(raw, 'pivot');
  if (pivot && PLACEHOLDER_PIVOT.test(pivot)) {
    issues.push({ field: 'pivot', reason: `SIRET de remplissage « ${pivot} » ignoré` });
    pivot = null;
  } else if (pivot && !/^[a-zA-Z0-9]{9,14}$/.test(pivot)) {
    issues.push({ field: 'pivot', reason: `identifiant de structure invalide « ${pivot} » ignoré` });
    pivot = null;
  }
  let inseeCode = text(raw, 'code_insee');
  if (inseeCode && !/^([013-9]\d|2[AB1-9])\d{3}$/.test(inseeCode)) {
    issues.push({ field: 'code_insee', reason: `code INSEE invalide « ${inseeCode} » ignoré` });
    inseeCode = null;
  }
  let updatedOn = text(raw, 'date_maj');
  if (updatedOn && (!/^\d{4}-\d{2}-\d{2}$/.test(updatedOn) || EPOCH_DAYS.has(updatedOn) || Number.isNaN(Date.parse(updatedOn)))) {
    issues.push({ field: 'date_maj', reason: `date de mise à jour invalide « ${updatedOn} » ignorée` });
    updatedOn = null;
  }

  const services: StandardService[] = [];
  for (const value of list(raw, 'services')) {
    const service = isStandardService(value) ? value : V01_SERVICES[value];
    if (service) {
      if (!services.includes(service)) services.push(service);
    } else issues.push({ field: 'services', reason: `service inconnu « ${value} » ignoré` });
  }

  // v0.1 "conditions_acces" became v1 "frais_a_charge", and carried the pass numérique flag.
  const conditions = list(raw, 'frais_a_charge', 'conditions_acces').map((v) => v.split(' : ')[0]!.trim());
  const acceptsPass = conditions.includes(PASS_CONDITION);
  const fees = [...new Set(conditions.filter((c) => c !== PASS_CONDITION).map((c) => V01_FEES[c] ?? c))];

  const supportModes = list(raw, 'modalites_accompagnement').map((v) => V01_SUPPORT[v.split(' : ')[0]!.trim()] ?? v);
  const oldPublics = list(raw, 'publics_accueillis');
  const publics = [...list(raw, 'publics_specifiquement_adresses'), ...oldPublics.flatMap((p) => V01_PUBLICS[p]?.publics ?? [])];
  const specificSupport = [...list(raw, 'prise_en_charge_specifique'), ...oldPublics.flatMap((p) => V01_PUBLICS[p]?.support ?? [])];
  const labels = list(raw, 'labels_nationaux');
  const programmes = [...list(raw, 'dispositif_programmes_nationaux'), ...labels.flatMap((l) => V01_LABELS[l] ?? [])];

  const phones: string[] = [];
  for (const value of list(raw, 'telephone')) {
    const phone = validatePhone(value);
    if (phone.ok) phones.push(phone.value);
    else issues.push({ field: 'telephone', reason: `numéro de téléphone illisible « ${value} » ignoré` });
  }

  const itinerance = list(raw, 'itinerance');
  return {
    ok: true,
    issues,
    place: {
      sourceId,
      source: text(raw, 'source') ?? fallbackSource,
      pivot,
      name,
      commune,
      postcode,
      inseeCode,
      address,
      addressComplement: text(raw, 'complement_adresse'),
      latitude,
      longitude,
      typologies: list(raw, 'typologie'),
      phones,
      emails: list(raw, 'courriels', 'courriel'),
      websites: list(raw, 'site_web'),
      openingHours: text(raw, 'horaires'),
      summary: text(raw, 'presentation_resume'),
      details: text(raw, 'presentation_detail'),
      itinerant: itinerance.includes('Itinérant') || /^Bus /i.test(name),
      parentStructure: text(raw, 'structure_parente'),
      updatedOn,
      services,
      publics: pick([...new Set(publics)], PUBLICS, 'publics_specifiquement_adresses', issues),
      specificSupport: pick([...new Set(specificSupport)], SPECIFIC_SUPPORT, 'prise_en_charge_specifique', issues),
      fees: pick(fees, FEES, 'frais_a_charge', issues),
      nationalProgrammes: pick([...new Set(programmes)], NATIONAL_PROGRAMMES, 'dispositif_programmes_nationaux', issues),
      trainingsLabels: list(raw, 'formations_labels'),
      otherLabels: text(raw, 'autres_formations_labels', 'labels_autres'),
      accessModes: pick(list(raw, 'modalites_acces'), ACCESS_MODES, 'modalites_acces', issues),
      supportModes: pick([...new Set(supportModes)], SUPPORT_MODES, 'modalites_accompagnement', issues),
      accessibilityUrl: text(raw, 'fiche_acces_libre', 'accessibilite'),
      bookingUrl: text(raw, 'prise_rdv'),
      acceptsPass,
    },
  };
}

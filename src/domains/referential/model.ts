/**
 * The shape of the national referential of mediation services, shared by all its versions.
 * Sources and choices: docs/sources/referential.md.
 */

/**
 * The three levels of the predecessor's referential, worded as in guide-devenir-aptic.txt
 * (« Mes services Mednum »), with a capital letter since they are shown as headings.
 * The letter prefixes the codes of the services of the level (D01, M03, A02).
 */
export const REFERENTIAL_LEVELS = [
  { code: 1, letter: 'D', label: 'Découvrir les enjeux du numérique' },
  { code: 2, letter: 'M', label: 'Maîtriser le numérique' },
  { code: 3, letter: 'A', label: 'Augmenter son pouvoir d’agir grâce au numérique' },
] as const;

export type ReferentialLevel = (typeof REFERENTIAL_LEVELS)[number]['code'];

/**
 * The 9 values of the `services` field of the national standard of places of digital mediation,
 * v1 (schema.json v1.0.2, same list as v1.0.1), copied from the field's `pattern`, in its order.
 * Places are published with these exact strings: never reword them, even the ones that read oddly.
 * (The field's prose description spells « Comprehension » without accent; the pattern, which is
 * what validators apply, has « Compréhension ».)
 */
export const STANDARD_SERVICES = [
  'Aide aux démarches administratives',
  'Maîtrise des outils numériques du quotidien',
  'Insertion professionnelle via le numérique',
  'Utilisation sécurisée du numérique',
  'Parentalité et éducation avec le numérique',
  'Loisirs et créations numériques',
  'Compréhension du monde numérique',
  'Accès internet et matériel informatique',
  'Acquisition de matériel informatique à prix solidaire',
] as const;

export type StandardService = (typeof STANDARD_SERVICES)[number];

/** The four kinds of help of the digital helper's charter (charte-aidant-numerique.txt, article 2). */
export const HELP_KINDS = [
  {
    code: 'detection_referral',
    label: 'Détection et orientation',
    description:
      'Un test qualifie le niveau d’autonomie de la personne sur les outils numériques, puis elle est orientée, si besoin, vers une structure dont l’accompagnement répond aux difficultés identifiées.',
  },
  {
    code: 'assistance',
    label: 'Assistance',
    description:
      'Pour une personne qui ne peut pas réaliser seule ses démarches en ligne, pour des raisons physiques ou faute de compétences numériques ; une formation lui est proposée en même temps pour avancer vers l’autonomie.',
  },
  {
    code: 'facilitation',
    label: 'Facilitation',
    description:
      'Accompagnement sur des services en ligne précis, pour en faciliter l’accès à une personne qui ne connaît pas l’outil, par exemple pour certaines démarches administratives.',
  },
  {
    code: 'training',
    label: 'Formation',
    description: 'Apprentissages qui vont de l’initiation jusqu’au perfectionnement.',
  },
] as const;

export type HelpKind = (typeof HELP_KINDS)[number]['code'];

export interface ReferentialService {
  /** Stable forever: vouchers, catalogues and usage statistics refer to it. Letter of the level + 2 digits. */
  code: string;
  level: ReferentialLevel;
  label: string;
  description: string;
  /** The standard's services this one is published as; at least one. */
  standardServices: readonly StandardService[];
  helpKind: HelpKind;
  /**
   * A « faire à la place » service: the mediator does the task for the person. The charters reserve
   * it to professionals (no volunteers, no civic-service staff).
   */
  doingForPerson: boolean;
}

export interface Referential {
  version: number;
  title: string;
  /** YYYY-MM-DD. */
  publishedOn: string;
  services: readonly ReferentialService[];
}

const SERVICE_CODE = /^[DMA]\d{2}$/;

export function isWellFormedServiceCode(code: string, level: ReferentialLevel): boolean {
  return SERVICE_CODE.test(code) && code.startsWith(REFERENTIAL_LEVELS[level - 1]!.letter);
}

export function isStandardService(value: string): value is StandardService {
  return (STANDARD_SERVICES as readonly string[]).includes(value);
}

export function findService(referential: Referential, code: string): ReferentialService | undefined {
  return referential.services.find((service) => service.code === code);
}

/**
 * What a place offering these referential services declares in the standard's `services` field:
 * each standard service once, in the standard's order. Unknown codes are ignored.
 */
export function standardServicesOf(referential: Referential, codes: Iterable<string>): StandardService[] {
  const wanted = new Set<StandardService>();
  for (const code of codes) {
    for (const standard of findService(referential, code)?.standardServices ?? []) wanted.add(standard);
  }
  return STANDARD_SERVICES.filter((standard) => wanted.has(standard));
}

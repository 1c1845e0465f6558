import { z } from 'zod';
import { DELIVERY_MODES } from '../../domains/places/catalogue.js';
import { PUBLIC_AGES, PUBLIC_SITUATIONS } from '../../domains/vouchers/order-model.js';
import { MAX_VOUCHERS_PER_REDEMPTION } from '../../domains/vouchers/redeem-vouchers.js';
import { REFUSAL_REASONS } from '../../domains/vouchers/rules.js';
import { problemSchema } from './schemas.js';

/** Visible ASCII, 1 to 255 characters: what the domain accepts as a key (redeem-vouchers.ts). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/u;

/** Fastify hands the headers lowercased; the others pass through untouched. */
export const idempotencyHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .regex(IDEMPOTENCY_KEY)
    .describe(
      'Clé choisie par le client pour cette demande (1 à 255 caractères ASCII visibles, un UUID par exemple). La même clé rejoue la première réponse ; la même clé avec une autre demande est refusée (409 `idempotency_key_reused`). Absente ou mal formée : 400 `idempotency_key_invalid`.',
    ),
});

const codesSchema = z
  .array(z.string().min(1).max(64))
  .min(1)
  .max(MAX_VOUCHERS_PER_REDEMPTION)
  .describe('Les codes des chèques, tels qu’imprimés ou scannés (casse, espaces et tirets indifférents)');

export const redemptionBody = z.strictObject({
  placeId: z.string().uuid().describe('Un lieu de la structure du jeton'),
  serviceCode: z.string().regex(/^[A-Z]\d{2}$/).describe('Code du service du référentiel, présent au catalogue actif du lieu'),
  serviceDate: z.iso.date().describe('Jour du service (heure de Paris) : ni futur, ni antérieur au mois précédent'),
  deliveryMode: z.enum(DELIVERY_MODES),
  codes: codesSchema,
  mediatorId: z.string().uuid().optional().describe('L’intervenant qui a rendu le service'),
  publicAge: z.enum(PUBLIC_AGES).optional().describe('Tranche d’âge de la personne, facultative et anonyme'),
  publicSituation: z.enum(PUBLIC_SITUATIONS).optional().describe('Situation de la personne, facultative et anonyme'),
});

export const redemptionSchema = z.object({
  id: z.string().uuid(),
  placeId: z.string().uuid(),
  serviceCode: z.string(),
  serviceDate: z.iso.date(),
  deliveryMode: z.enum(DELIVERY_MODES),
  priceCents: z.number().int().describe('Prix du service au catalogue, en centimes'),
  vouchersCents: z.number().int().describe('Valeur des chèques pris, en centimes : ce qui est dû au lieu'),
  holderShareCents: z.number().int().describe('Reste à payer par la personne, en centimes'),
  voucherCount: z.number().int(),
  createdAt: z.iso.datetime(),
});

/** The problem of this route: a refusal names the voucher it is about by its position in `codes`. */
export const redemptionProblemSchema = problemSchema
  .extend({
    voucherIndex: z.number().int().min(0).optional().describe('Position dans `codes` (à partir de 0) du chèque refusé, quand le refus porte sur un chèque'),
  })
  .describe('Problem details (RFC 9457), with the refused voucher’s position');

export const redemptionErrorResponses = {
  400: redemptionProblemSchema,
  401: redemptionProblemSchema,
  403: redemptionProblemSchema,
  404: redemptionProblemSchema,
  409: redemptionProblemSchema,
  415: redemptionProblemSchema,
  429: redemptionProblemSchema,
} as const;

export const REDEMPTION_DESCRIPTION = `Encaisse un ou plusieurs chèques pour un service rendu dans un lieu de la structure du jeton (droit \`redemptions:write\`, structures seulement). Aucun chèque au-delà du prix n’est pris ; le reste à payer éventuel est indiqué.

**Idempotence** : l’en-tête \`Idempotency-Key\` est obligatoire. Une demande répétée avec la même clé reçoit exactement la même réponse (même statut, même corps, y compris un refus), avec l’en-tête \`Idempotent-Replayed: true\` ; un refus reste donc un refus sous sa clé, même si sa cause a disparu depuis. La même clé avec une autre demande : 409 \`idempotency_key_reused\`. Clé absente ou mal formée : 400 \`idempotency_key_invalid\`.

**Refus** : un chèque ou un service refusé répond un problème dont le \`code\` dit pourquoi (${REFUSAL_REASONS.map((r) => `\`${r}\``).join(', ')}) et, quand le refus porte sur un chèque, \`voucherIndex\` donne sa position dans \`codes\`. Rien n’est encaissé. Chaque refus est enregistré.

**Erreurs de saisie** : un code mal formé ou dont le caractère de contrôle est faux répond 400 (\`code_malformed\`, \`code_check_failed\`) avec \`invalidParams\` nommant \`codes.N\`, sans être compté comme un refus. Lieu inconnu ou d’une autre structure : 404 \`place_unknown\`.

**Limite** : après trop de refus en 10 minutes pour un même lieu ou un même jeton, les tentatives suivantes répondent 429 \`too_many_refusals\`.

**Jeton révoqué** : un jeton inconnu ou révoqué répond 401 \`unauthenticated\` ; un jeton révoqué pendant que la demande était en cours répond 401 \`api_token_revoked\`, et rien n’est encaissé ni enregistré (la clé reste libre).`;

/** POST /api/v1/vouchers/check */
export const voucherCheckBody = z.strictObject({ codes: codesSchema });

const checkedVoucher = z.object({
  input: z.string().describe('Le code tel qu’envoyé'),
  code: z.string().describe('Le code tel qu’imprimé (groupes de 4)'),
  state: z.enum(['usable', 'not_active', 'cancelled', 'used', 'not_yet_valid', 'expired', 'not_issued']),
  faceValueCents: z.number().int(),
  validFrom: z.iso.date(),
  validUntil: z.iso.date(),
  lastScanDay: z.iso.date().describe('Dernier jour où un service rendu pendant la validité peut encore être encaissé'),
  usedOn: z.iso.date().nullable().describe('Jour du service payé, si le chèque est utilisé'),
  rules: z.array(z.string()).describe('Les règles du financeur, en français'),
});

const uncheckedVoucher = z.object({
  input: z.string(),
  problem: z.enum(['code_malformed', 'code_check_failed', 'voucher_unknown']),
});

export const voucherCheckResponse = z.object({ vouchers: z.array(z.union([checkedVoucher, uncheckedVoucher])) });

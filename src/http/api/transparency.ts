import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import type { TransparencyReport } from '../../domains/transparency/transparency.js';
import { PUBLIC } from '../access.js';
import { errorResponses } from './schemas.js';

const cents = z.number().int().describe('Centimes d’euro');
const figures = {
  vouchersUsed: z.number().int().describe('Chèques utilisés (services de ce mois)'),
  vouchersCents: cents.describe('Valeur des chèques utilisés, en centimes'),
  paidToPlacesCents: cents.describe('Versé aux lieux (virements exécutés), en centimes'),
  platformFeeCents: cents.describe('Frais de la plateforme, en centimes'),
  fundFeeCents: cents.describe('Part du fonds territorial, en centimes'),
};

export const transparencySchema = z.object({
  from: z.string().describe('Premier mois couvert (AAAA-MM)'),
  to: z.string().describe('Dernier mois couvert (AAAA-MM)'),
  rates: z.object({
    platformFeeBp: z.number().int().describe('Frais de la plateforme, en points de base de la valeur des chèques (300 = 3 %)'),
    fundFeeBp: z.number().int().describe('Part du fonds territorial, en points de base (100 = 1 %)'),
  }),
  months: z.array(
    z.object({
      month: z.string().describe('AAAA-MM'),
      territory: z.string().describe('Code du département du lieu (vide s’il est inconnu)'),
      territoryName: z.string(),
      ...figures,
    }),
  ),
  totals: z.object(figures),
  territorialFunds: z.array(z.object({ territory: z.string(), territoryName: z.string(), balanceCents: cents.describe('Solde du fonds, en centimes') })),
});

export type TransparencyJson = z.infer<typeof transparencySchema>;

export function presentTransparency(report: TransparencyReport, money: { platformFeeBp: number; fundFeeBp: number }): TransparencyJson {
  return {
    from: report.from,
    to: report.to,
    rates: { platformFeeBp: money.platformFeeBp, fundFeeBp: money.fundFeeBp },
    months: report.rows,
    totals: report.totals,
    territorialFunds: report.funds,
  };
}

/** `/api/v1/transparency`: the public page's figures in JSON (no token needed). */
export function transparencyApi(parent: FastifyInstance, ctx: AppContext, load: () => Promise<TransparencyReport>) {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/api/v1/transparency',
    {
      config: { access: PUBLIC },
      schema: {
        tags: ['Données ouvertes'],
        summary: 'Transparence financière : chèques utilisés, sommes versées aux lieux, frais et fonds territoriaux, par mois et département',
        description: 'Les mêmes chiffres que la page /transparence, sur les 24 derniers mois ; montants en centimes d’euro.',
        querystring: z.strictObject({}),
        response: { 200: transparencySchema, 400: errorResponses[400] },
      },
    },
    async () => presentTransparency(await load(), ctx.config.money),
  );
}

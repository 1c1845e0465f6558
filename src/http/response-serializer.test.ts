import { ResponseSerializationError, serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { redemptionProblemSchema, redemptionSchema, voucherCheckResponse } from './api/redemption-schemas.js';
import { problemSchema } from './api/schemas.js';
import { responseSerializerCompiler, sameBothWays } from './response-serializer.js';

type Serialize = (data: unknown) => string;
const compile = (compiler: typeof zodSerializerCompiler, schema: z.ZodType): Serialize =>
  compiler({ schema, method: 'POST', url: '/api/v1/test', httpStatus: '200' }) as Serialize;

/** What each compiler does with the data: the JSON written, or the error thrown. */
function outcomes(schema: z.ZodType, data: unknown): { ours: unknown; library: unknown } {
  const run = (serialize: Serialize) => {
    try {
      return serialize(data);
    } catch (error) {
      return error instanceof ResponseSerializationError ? 'ResponseSerializationError' : error;
    }
  };
  return { ours: run(compile(responseSerializerCompiler, schema)), library: run(compile(zodSerializerCompiler, schema)) };
}

const redemption = {
  id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  placeId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  serviceCode: 'M01',
  serviceDate: '2026-11-22',
  deliveryMode: 'on_site',
  priceCents: 1500,
  vouchersCents: 1000,
  holderShareCents: 500,
  voucherCount: 1,
  createdAt: '2026-11-22T18:04:05.678Z',
};

const checked = {
  input: 'abcd efgh jkmn pqrst',
  code: 'ABCD-EFGH-JKMN-PQRST',
  state: 'usable',
  faceValueCents: 1000,
  validFrom: '2026-01-01',
  validUntil: '2026-12-31',
  lastScanDay: '2027-01-31',
  usedOn: null,
  rules: ['Dans toute la Gironde'],
};

describe('response serialisation', () => {
  it('parses rather than encodes the schemas of the counter, which hold no codec', () => {
    for (const schema of [redemptionSchema, redemptionProblemSchema, voucherCheckResponse, problemSchema]) expect(sameBothWays(schema)).toBe(true);
  });

  it('writes exactly what the library writes, unknown members left out', () => {
    const cases: [z.ZodType, unknown][] = [
      [redemptionSchema, redemption],
      [redemptionSchema, { ...redemption, secret: 'not for the client' }],
      [redemptionProblemSchema, { type: 'about:blank', title: 'Chèque expiré', status: 409, code: 'voucher_expired', voucherIndex: 0 }],
      [problemSchema, { type: 'about:blank', title: 'Erreur', status: 400, code: 'validation_failed', invalidParams: [{ name: 'codes.0', reason: 'mal formé', extra: 1 }] }],
      [voucherCheckResponse, { vouchers: [checked, { input: 'x', problem: 'code_malformed' }, { ...checked, usedOn: '2026-03-02', state: 'used' }] }],
    ];
    for (const [schema, data] of cases) {
      const { ours, library } = outcomes(schema, data);
      expect(typeof ours).toBe('string');
      expect(ours).toBe(library);
    }
  });

  it('refuses what does not match, as the library does', () => {
    const cases: [z.ZodType, unknown][] = [
      [redemptionSchema, { ...redemption, createdAt: '2026-11-22 18:04' }],
      [redemptionSchema, { ...redemption, id: 'pas-un-uuid' }],
      [redemptionSchema, { ...redemption, priceCents: 10.5 }],
      [redemptionSchema, { ...redemption, deliveryMode: 'par pigeon' }],
      [redemptionSchema, (({ voucherCount: _, ...rest }) => rest)(redemption)],
      [redemptionSchema, null],
      [voucherCheckResponse, { vouchers: [{ input: 'x', problem: 'inconnu' }] }],
    ];
    for (const [schema, data] of cases) expect(outcomes(schema, data)).toEqual({ ours: 'ResponseSerializationError', library: 'ResponseSerializationError' });
  });

  it('leaves to the library every schema that may encode differently from how it parses', () => {
    const isoDate = z.codec(z.iso.datetime(), z.date(), { decode: (text) => new Date(text), encode: (date) => date.toISOString() });
    const others: z.ZodType[] = [
      z.object({ at: isoDate }),
      z.object({ n: z.string().transform((s) => s.length) }),
      z.object({ n: z.number().default(3) }),
      z.object({ n: z.coerce.number() }),
      z.object({ n: z.number() }).refine((o) => Object.keys(o).length === 1),
      z.discriminatedUnion('kind', [z.object({ kind: z.literal('a') }), z.object({ kind: z.literal('b') })]),
      z.array(z.string().pipe(z.string())),
      z.lazy(() => z.string()),
    ];
    for (const schema of others) expect(sameBothWays(schema)).toBe(false);
    const at = new Date('2026-11-22T18:04:05.678Z');
    expect(outcomes(z.object({ at: isoDate }), { at })).toEqual({ ours: '{"at":"2026-11-22T18:04:05.678Z"}', library: '{"at":"2026-11-22T18:04:05.678Z"}' });
  });
});

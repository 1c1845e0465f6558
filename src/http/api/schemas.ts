import { z } from 'zod';
import { ORGANISATION_KINDS, MEMBER_ROLES } from '../../domains/accounts/model.js';

/** RFC 9457 problem details, as every API error is sent. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().describe('Stable error code, for programs'),
    instance: z.string().optional(),
    invalidParams: z.array(z.object({ name: z.string(), reason: z.string() })).optional(),
  })
  .describe('Problem details (RFC 9457)');

export const errorResponses = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
} as const;

export const organisationSchema = z.object({
  id: z.string().uuid(),
  kind: z.enum(ORGANISATION_KINDS),
  name: z.string(),
});

export const memberSchema = z.object({
  userId: z.string().uuid(),
  email: z.string(),
  displayName: z.string(),
  role: z.enum(MEMBER_ROLES),
  since: z.iso.datetime(),
});

export const bearerSecurity = [{ bearerAuth: [] }];

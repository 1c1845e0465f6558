/** Who is acting, as recorded in the audit journal: a person for an organisation, or a machine client. */
export interface Actor {
  userId: string | null;
  organisationId: string | null;
  apiTokenId: string | null;
}

export const SYSTEM_ACTOR: Actor = { userId: null, organisationId: null, apiTokenId: null };

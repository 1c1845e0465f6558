import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppContext } from '../app-context.js';
import { catalogueForm, saveCatalogueEntry } from '../domains/places/catalogue.js';
import { importPlaces } from '../domains/places/import-places.js';
import { createPlace, placeForm } from '../domains/places/manage-places.js';
import { acceptCharter } from '../domains/providers/accept-charter.js';
import { answerEligibility } from '../domains/providers/answer-eligibility.js';
import { REQUIRED_DOCUMENTS } from '../domains/providers/application.js';
import { uploadDocument } from '../domains/providers/documents.js';
import { ELIGIBILITY_QUESTIONNAIRE } from '../domains/providers/eligibility.js';
import { addMediator } from '../domains/providers/mediators.js';
import { updateProviderProfile } from '../domains/providers/provider-profile.js';
import { decideApplication } from '../domains/providers/review-application.js';
import { signUpProvider } from '../domains/providers/sign-up-provider.js';
import { submitApplication } from '../domains/providers/submit-application.js';
import { loadReferential } from '../domains/referential/publish-referential.js';
import { saveFunderBillingDetails } from '../domains/settlement/funder-billing-details.js';
import { hashPassword } from '../domains/accounts/passwords.js';
import { insertMembership, insertOrganisation, insertUser } from '../domains/accounts/repository.js';
import { SYSTEM_ACTOR } from '../domains/actor.js';
import { recordAuditEvent } from '../domains/audit/record-audit-event.js';
import { formatMonth } from '../lib/paris-dates.js';
import type { MemberRole, OrganisationKind } from '../db/schema.js';
import { DemoClock, demoTimeline, loadDemoMoney } from './demo-money.js';
import { loadDemoVouchers, writeDemoVouchersFile } from './demo-vouchers.js';

/** Known to everyone who reads the README: the demo world is for trying passnum, never for real data. */
export const DEMO_PASSWORD = 'passnum-demo-2026';

export interface DemoLogin {
  email: string;
  role: string;
}

const ORGANISATIONS: { key: string; kind: OrganisationKind; name: string }[] = [
  { key: 'operator', kind: 'operator', name: 'Opérateur passnum (démo)' },
  { key: 'funder', kind: 'funder', name: 'Département de la Gironde (démo)' },
  { key: 'distributor', kind: 'distributor', name: 'CCAS de Bordeaux (démo)' },
];

const PEOPLE: { email: string; name: string; role: string; memberships: [string, MemberRole][] }[] = [
  { email: 'operateur@demo.passnum.fr', name: 'Olivia Opératrice', role: 'opérateur (admin)', memberships: [['operator', 'admin']] },
  { email: 'financeur@demo.passnum.fr', name: 'Fabrice Financeur', role: 'commanditaire (admin)', memberships: [['funder', 'admin']] },
  {
    email: 'distributeur@demo.passnum.fr',
    name: 'Dina Distributrice',
    role: 'distributeur (admin), aussi membre du commanditaire',
    memberships: [['distributor', 'admin'], ['funder', 'member']],
  },
];

/** The demo funder's billing address (/financeur/facturation); the SIRET is made up, though its Luhn keys hold. */
const DEMO_FUNDER_BILLING = {
  address: 'Hôtel du Département, 1 esplanade Charles-de-Gaulle',
  postcode: '33074',
  commune: 'Bordeaux Cedex',
  siret: '22330099700010',
};

export async function isDatabaseEmpty(ctx: AppContext): Promise<boolean> {
  const row = await ctx.db.selectFrom('organisations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return row.n === 0;
}

/**
 * Real places of digital mediation, from regional hubs' files in the national standard (their
 * SOURCE note is beside them). The tests use the same files.
 */
const REAL_PLACES_DIR = fileURLToPath(new URL('../../test/data/lieux-mediation-numerique/', import.meta.url));

/** Imports the real places as drafts that providers can claim; returns how many were imported. */
async function importRealPlaces(ctx: AppContext): Promise<number> {
  let imported = 0;
  for (const file of (await readdir(REAL_PLACES_DIR)).filter((f) => f.endsWith('.json')).sort()) {
    const report = await importPlaces(ctx, SYSTEM_ACTOR, { fileName: file, content: await readFile(path.join(REAL_PLACES_DIR, file)) });
    imported += report.imported;
  }
  return imported;
}

/** The demo world as loaded: who can sign in, where the voucher codes are, which months are settled. */
export interface DemoWorld {
  logins: DemoLogin[];
  /** Where the codes of the demo vouchers were written. */
  vouchersFile: string;
  /** The two months already settled ('YYYY-MM', older first). */
  settledMonths: [string, string];
}

/**
 * Loads the demo world: one organisation of each kind, one account per role, real imported places,
 * a qualified provider, the funder's billing address; its past (demo-money.ts: two months of scans,
 * both settled, the older one paid); and its present (demo-vouchers.ts: orders at every step,
 * vouchers in every state, three scanned today). The past is written on a clock that starts on the
 * first day of the older settled month; the present on the context's own clock.
 */
export async function loadDemoWorld(appCtx: AppContext): Promise<DemoWorld> {
  // The demo's own mails (invitations, decisions) would only be noise: none is sent.
  const present: AppContext = { ...appCtx, mailer: { send: async () => undefined } };
  const timeline = demoTimeline(present.clock.now(), present.config.money.graceDay);
  const clock = new DemoClock(timeline.start);
  const ctx: AppContext = { ...present, clock };
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const ids = new Map<string, string>();
  const users = new Map<string, string>();
  await ctx.db.transaction().execute(async (trx) => {
    for (const org of ORGANISATIONS) ids.set(org.key, (await insertOrganisation(trx, { kind: org.kind, name: org.name })).id);
    for (const person of PEOPLE) {
      const user = await insertUser(trx, { email: person.email, displayName: person.name, passwordHash });
      users.set(person.memberships[0]![0], user.id);
      for (const [key, role] of person.memberships) await insertMembership(trx, { userId: user.id, organisationId: ids.get(key)!, role });
    }
    await recordAuditEvent(trx, SYSTEM_ACTOR, ctx.clock.now(), {
      action: 'demo.loaded',
      subjectType: 'platform',
      subjectId: 'demo',
      after: { organisations: ORGANISATIONS.length, people: PEOPLE.length },
    });
  });
  await importRealPlaces(ctx);
  const provider = await qualifiedDemoProvider(ctx);
  const actor = (key: string) => ({ userId: users.get(key)!, organisationId: ids.get(key)!, apiTokenId: null });
  const cast = { funder: actor('funder'), distributor: actor('distributor'), operator: actor('operator'), provider };
  // Its admin gives the funder's billing address on the first morning: every invoice of the demo carries it.
  await saveFunderBillingDetails(ctx, cast.funder, cast.funder.organisationId, DEMO_FUNDER_BILLING);
  const money = await loadDemoMoney(ctx, clock, cast, timeline);
  const vouchers = await loadDemoVouchers(present, cast);
  return {
    logins: [
      ...PEOPLE.map((p) => ({ email: p.email, role: p.role })),
      { email: 'lieu@demo.passnum.fr', role: 'lieu de médiation qualifié (admin)' },
      { email: 'mediatrice@demo.passnum.fr', role: 'lieu de médiation qualifié (membre)' },
    ],
    vouchersFile: await writeDemoVouchersFile(present.config.dataDir, vouchers),
    settledMonths: money.settled,
  };
}

/** A tiny valid PDF, to stand for the documents of the demo application. */
const DEMO_PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

/** The answers that score best on every question (the demo provider is eligible). */
function bestEligibilityAnswers(): Record<string, string> {
  const answers: Record<string, string> = {};
  for (const theme of ELIGIBILITY_QUESTIONNAIRE.themes) {
    for (const question of theme.questions) {
      const best = [...question.options].filter((o) => !('blocking' in o && o.blocking)).sort((a, b) => b.points - a.points)[0]!;
      answers[question.code] = best.value;
    }
  }
  return answers;
}

/**
 * A provider that went the whole way, through the same use cases as the pages: sign-up,
 * questionnaire, charter, documents, mediators, a place in Bordeaux with its catalogue, submission,
 * then qualification by the demo operator. Its place is public on /lieux (postcode 33000).
 */
async function qualifiedDemoProvider(ctx: AppContext): Promise<{ organisationId: string; userId: string; placeId: string }> {
  const { userId, organisationId } = await signUpProvider(ctx, {
    organisationName: 'Association Les Clés du numérique (démo)',
    legalForm: 'association',
    rna: 'W332000001',
    address: '12 rue du Loup',
    postcode: '33000',
    inseeCode: '33063',
    adminName: 'Lucas Lieu',
    email: 'lieu@demo.passnum.fr',
    password: DEMO_PASSWORD,
  });
  const actor = { userId, organisationId, apiTokenId: null };
  const mediatrice = await insertUser(ctx.db, { email: 'mediatrice@demo.passnum.fr', displayName: 'Maya Médiatrice', passwordHash: await hashPassword(DEMO_PASSWORD) });
  await insertMembership(ctx.db, { userId: mediatrice.id, organisationId, role: 'member' });
  await updateProviderProfile(ctx, actor, organisationId, {
    organisationName: 'Association Les Clés du numérique (démo)',
    legalForm: 'association',
    rna: 'W332000001',
    address: '12 rue du Loup',
    postcode: '33000',
    inseeCode: '33063',
    iban: 'FR7630006000011234567890189',
    bic: 'AGRIFRPP882',
    accountHolder: 'Association Les Clés du numérique',
  });
  await answerEligibility(ctx, actor, organisationId, bestEligibilityAnswers());
  await acceptCharter(ctx, actor, organisationId);
  for (const kind of REQUIRED_DOCUMENTS.association) {
    await uploadDocument(ctx, actor, organisationId, { kind, fileName: `${kind}.pdf`, content: DEMO_PDF });
  }
  await addMediator(ctx, actor, organisationId, { name: 'Maya Médiatrice', status: 'employee', trained: true, training: 'Titre professionnel de responsable d’espace de médiation numérique' });
  await addMediator(ctx, actor, organisationId, { name: 'Bastien Bénévole', status: 'volunteer', trained: true, training: 'Formation interne de 3 jours' });
  const place = await createPlace(
    ctx,
    actor,
    organisationId,
    placeForm.parse({
      name: 'Les Clés du numérique – espace Saint-Michel',
      address: '12 rue du Loup',
      postcode: '33000',
      inseeCode: '33063',
      latitude: '44.8378',
      longitude: '-0.5732',
      typologies: 'ASSO',
      openingHours: 'Mo-Fr 09:00-12:30,14:00-18:00; Sa 10:00-12:00',
      phone: '05 56 00 00 00',
      email: 'contact@cles-numerique.example',
      mobility: 'fixed',
    }),
  );
  const referential = await loadReferential(ctx.db);
  const offered: [code: string, price: string, parcours: '' | '5'][] = [
    ['D01', '10', ''],
    ['M01', '10', '5'],
    ['M11', '12,50', ''],
  ];
  for (const [serviceCode, price, parcours] of offered) {
    if (!referential?.services.some((s) => s.code === serviceCode)) continue;
    await saveCatalogueEntry(
      ctx,
      actor,
      organisationId,
      place.id,
      catalogueForm.parse({ serviceCode, price, durationMinutes: '60', format: 'individual', deliveryModes: ['on_site'], parcours }),
    );
  }
  await submitApplication(ctx, actor, organisationId);
  const operator = await ctx.db
    .selectFrom('memberships as m')
    .innerJoin('organisations as o', 'o.id', 'm.organisation_id')
    .select(['m.user_id', 'm.organisation_id'])
    .where('o.kind', '=', 'operator')
    .where('m.role', '=', 'admin')
    .executeTakeFirstOrThrow();
  await decideApplication(ctx, { userId: operator.user_id, organisationId: operator.organisation_id, apiTokenId: null }, {
    providerId: organisationId,
    decision: 'qualify',
    message: 'Bienvenue parmi les lieux qualifiés du pass numérique.',
  });
  return { organisationId, userId, placeId: place.id };
}

export function formatDemoLogins(world: DemoWorld, baseUrl: string): string {
  return [
    '',
    `Monde de démonstration chargé. Connectez-vous sur ${baseUrl}/connexion avec le mot de passe « ${DEMO_PASSWORD} » :`,
    ...world.logins.map((l) => `  ${l.email.padEnd(32)} ${l.role}`),
    `Des chèques de démonstration dans chaque état, à essayer sur ${baseUrl}/mon-pass : ${world.vouchersFile}`,
    `Deux mois déjà réglés (${world.settledMonths.map((month) => formatMonth(month)).join(' et ')}) : virements et relevés sur ${baseUrl}/structure/paiements, fichiers SEPA sur ${baseUrl}/operateur/reglements, relevés du financeur sur ${baseUrl}/financeur/releves`,
    '',
  ].join('\n');
}

import { describe, expect, it } from 'vitest';
import { isWellFormedServiceCode, standardServicesOf } from './model.js';
import { HELP_KINDS, REFERENTIAL_LEVELS, REFERENTIAL_V1, STANDARD_SERVICES } from './referential-v1.js';

/**
 * The `pattern` of the `services` field in the national standard's schema.json, copied verbatim from
 * https://github.com/LaMednum/standard-mediation-num (schema v1.0.2, commit e347ff40, 2024-07-25;
 * identical in tag v1.0.1). Places are validated against it when published: if the standard changes,
 * paste the new pattern here and this test says what to change in STANDARD_SERVICES.
 */
const STANDARD_SERVICES_PATTERN =
  '(?:(?:^|\\|)(Aide aux démarches administratives|Maîtrise des outils numériques du quotidien|Insertion professionnelle via le numérique|Utilisation sécurisée du numérique|Parentalité et éducation avec le numérique|Loisirs et créations numériques|Compréhension du monde numérique|Accès internet et matériel informatique|Acquisition de matériel informatique à prix solidaire))+$';

function servicesOfPattern(pattern: string): string[] {
  const alternatives = /\(([^()?]+)\)\)\+\$$/.exec(pattern)?.[1];
  if (!alternatives) throw new Error('unexpected shape of the standard’s services pattern');
  return alternatives.split('|');
}

const services = REFERENTIAL_V1.services;

describe('national referential of mediation services, version 1', () => {
  it('lists the 9 services of the national standard exactly as its schema spells them', () => {
    expect(STANDARD_SERVICES).toEqual(servicesOfPattern(STANDARD_SERVICES_PATTERN));
    expect(new RegExp(STANDARD_SERVICES_PATTERN).test(STANDARD_SERVICES.join('|'))).toBe(true);
  });

  it('names the 3 levels of the predecessor’s referential, coded 1 to 3', () => {
    expect(REFERENTIAL_LEVELS.map((level) => [level.code, level.label])).toEqual([
      [1, 'Découvrir les enjeux du numérique'],
      [2, 'Maîtriser le numérique'],
      [3, 'Augmenter son pouvoir d’agir grâce au numérique'],
    ]);
  });

  it('names the 4 kinds of help of the digital helper’s charter', () => {
    expect(HELP_KINDS.map((kind) => [kind.code, kind.label])).toEqual([
      ['detection_referral', 'Détection et orientation'],
      ['assistance', 'Assistance'],
      ['facilitation', 'Facilitation'],
      ['training', 'Formation'],
    ]);
  });

  it('gives every service a unique code made of its level’s letter and two digits', () => {
    expect(new Set(services.map((service) => service.code)).size).toBe(services.length);
    for (const service of services) expect(isWellFormedServiceCode(service.code, service.level), service.code).toBe(true);
    expect(isWellFormedServiceCode('M01', 1)).toBe(false);
    expect(isWellFormedServiceCode('D1', 1)).toBe(false);
  });

  it('numbers the services of each level 01, 02… without gaps, in order', () => {
    for (const level of REFERENTIAL_LEVELS) {
      const codes = services.filter((service) => service.level === level.code).map((service) => service.code);
      expect(codes).toEqual(codes.map((_, index) => `${level.letter}${String(index + 1).padStart(2, '0')}`));
    }
  });

  it('uses every level, with a real breadth of services', () => {
    for (const level of REFERENTIAL_LEVELS) {
      expect(services.filter((service) => service.level === level.code).length, level.label).toBeGreaterThanOrEqual(5);
    }
    expect(services.length).toBeGreaterThanOrEqual(20);
  });

  it('gives every service a label and a description, each unique', () => {
    for (const service of services) {
      expect(service.label.trim(), service.code).not.toBe('');
      expect(service.description.trim().length, service.code).toBeGreaterThan(service.label.length);
    }
    expect(new Set(services.map((service) => service.label)).size).toBe(services.length);
  });

  it('maps every service onto at least one standard service, each of the standard’s list, without repeats', () => {
    for (const service of services) {
      expect(service.standardServices.length, service.code).toBeGreaterThan(0);
      expect(new Set(service.standardServices).size, service.code).toBe(service.standardServices.length);
      for (const standard of service.standardServices) expect(STANDARD_SERVICES, service.code).toContain(standard);
    }
  });

  it('covers each of the 9 standard services with at least one service', () => {
    const covered = new Set(services.flatMap((service) => service.standardServices));
    expect(STANDARD_SERVICES.filter((standard) => !covered.has(standard))).toEqual([]);
  });

  it('uses every kind of help, and « faire à la place » is exactly the assistance kind', () => {
    expect(new Set(services.map((service) => service.helpKind))).toEqual(new Set(HELP_KINDS.map((kind) => kind.code)));
    const doingForPerson = services.filter((service) => service.doingForPerson);
    expect(doingForPerson.length).toBeGreaterThan(0);
    expect(doingForPerson).toEqual(services.filter((service) => service.helpKind === 'assistance'));
  });

  it('is dated as a calendar day', () => {
    expect(REFERENTIAL_V1.publishedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(new Date(`${REFERENTIAL_V1.publishedOn}T00:00:00Z`).toISOString().slice(0, 10)).toBe(REFERENTIAL_V1.publishedOn);
  });

  it('publishes a catalogue as the standard services it covers, once each, in the standard’s order', () => {
    expect(standardServicesOf(REFERENTIAL_V1, ['M11', 'A09', 'M10', 'unknown'])).toEqual([
      'Aide aux démarches administratives',
      'Compréhension du monde numérique',
      'Accès internet et matériel informatique',
    ]);
    expect(standardServicesOf(REFERENTIAL_V1, [])).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { mayDeliver, missingDocuments, nextStatus, submissionGaps, type ApplicationSnapshot } from './application.js';

describe('application lifecycle', () => {
  it('goes draft → submitted → changes requested → submitted → qualified or refused, and nowhere else', () => {
    expect(nextStatus('draft', 'submit')).toBe('submitted');
    expect(nextStatus('submitted', 'request_changes')).toBe('changes_requested');
    expect(nextStatus('changes_requested', 'submit')).toBe('submitted');
    expect(nextStatus('submitted', 'qualify')).toBe('qualified');
    expect(nextStatus('submitted', 'refuse')).toBe('refused');
    expect(nextStatus('draft', 'qualify')).toBeUndefined();
    expect(nextStatus('qualified', 'submit')).toBeUndefined();
    expect(nextStatus('refused', 'submit')).toBeUndefined();
    expect(nextStatus('changes_requested', 'qualify')).toBeUndefined();
  });

  it('lists what an application lacks before it can be submitted', () => {
    const complete: ApplicationSnapshot = {
      legalForm: 'association',
      eligibility: 'eligible',
      acceptedCharterVersions: [2],
      currentCharterVersion: 2,
      placeCount: 1,
      activeServiceCount: 3,
      documentKinds: ['official_journal', 'general_assembly', 'statutes', 'identity', 'rib'],
      hasBankDetails: true,
    };
    expect(submissionGaps(complete)).toEqual([]);
    expect(
      submissionGaps({ ...complete, eligibility: 'not_yet', acceptedCharterVersions: [1], placeCount: 0, activeServiceCount: 0, documentKinds: [], hasBankDetails: false }),
    ).toEqual(['not_eligible', 'charter_not_accepted', 'no_place', 'no_active_service', 'missing_documents', 'missing_bank_details']);
  });

  it('asks documents by legal form', () => {
    expect(missingDocuments('company', ['identity', 'rib'])).toEqual(['kbis', 'statutes', 'beneficial_owners']);
    expect(missingDocuments('public_body', ['identity', 'authorisation', 'rib'])).toEqual([]);
  });

  it('keeps « faire à la place » services for employees', () => {
    const forPerson = { doingForPerson: true };
    expect(mayDeliver({ status: 'employee' }, forPerson)).toBe(true);
    expect(mayDeliver({ status: 'volunteer' }, forPerson)).toBe(false);
    expect(mayDeliver({ status: 'civic_service' }, forPerson)).toBe(false);
    expect(mayDeliver({ status: 'volunteer' }, { doingForPerson: false })).toBe(true);
  });
});

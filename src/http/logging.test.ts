import { describe, expect, it } from 'vitest';
import { maskUrl } from './logging.js';

describe('URLs in logs', () => {
  it('masks secret tokens in paths and sensitive query values, and keeps the rest', () => {
    const token = 'aB3_-'.repeat(8) + 'xyz';
    expect(maskUrl(`/mot-de-passe/${token}`)).toBe('/mot-de-passe/[masqué]');
    expect(maskUrl(`/invitations/${token}?x=1`)).toBe('/invitations/[masqué]?x=1');
    expect(maskUrl('/mon-pass?code=ABCD-EFGH&page=2')).toBe('/mon-pass?code=%5Bmasqu%C3%A9%5D&page=2');
    expect(maskUrl('/operateur/journal?action=session.opened')).toBe('/operateur/journal?action=session.opened');
    expect(maskUrl(`/connexion?retour=${encodeURIComponent(`/invitations/${token}`)}`)).toBe('/connexion?retour=%2Finvitations%2F%5Bmasqu%C3%A9%5D');
  });
});

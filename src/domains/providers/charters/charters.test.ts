import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CHARTERS, CURRENT_CHARTER_VERSION, readCharterText } from './charters.js';

describe('charters', () => {
  it('numbers the versions 1, 2… in the order they took effect, the current one last', () => {
    expect(CHARTERS.map((charter) => charter.version)).toEqual(CHARTERS.map((_, index) => index + 1));
    const dates = CHARTERS.map((charter) => charter.effectiveFrom);
    for (const date of dates) expect(new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10)).toBe(date);
    expect([...dates].sort()).toEqual(dates);
    expect(CURRENT_CHARTER_VERSION).toBe(CHARTERS.at(-1)?.version);
  });

  it('reads each version’s text, with its header of origin, and has no file without a version', async () => {
    for (const charter of CHARTERS) {
      const text = await readCharterText(charter.version);
      expect(text, charter.file).toMatch(new RegExp(`^Charte des engagements réciproques — version ${charter.version} de la plateforme`));
      expect(text, charter.file).toContain('Origine : ');
      expect(text, charter.file).toMatch(/les données permettent de tracer les usages\s+pas les usagers/);
      expect(text, charter.file).toMatch(/La présente Charte est contraignante\./);
    }
    const files = (await readdir(new URL('.', import.meta.url))).filter((name) => name.endsWith('.txt'));
    expect(files.sort()).toEqual(CHARTERS.map((charter) => charter.file).sort());
  });

  it('keeps the texts of the seeds: the 2021 one with its rule on places open to the public, the revised one without', async () => {
    const [v1, v2] = await Promise.all([readCharterText(1), readCharterText(2)]);
    expect(v1).toContain('doivent \nimpérativement être effectués dans des ERP');
    expect(v1).not.toContain('4/6');
    expect(v2).toContain('version révisée après concertation');
    expect(v2).not.toContain('ERP');
  });

  it('refuses a version that does not exist', async () => {
    await expect(readCharterText(3)).rejects.toThrow(RangeError);
  });
});

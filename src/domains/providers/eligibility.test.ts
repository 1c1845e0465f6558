import { describe, expect, it } from 'vitest';
import {
  ELIGIBILITY_QUESTIONNAIRE,
  maxPoints,
  scoreEligibility,
  type EligibilityAnswers,
  type EligibilityQuestion,
  type EligibilityTheme,
} from './eligibility.js';

const themes: readonly EligibilityTheme[] = ELIGIBILITY_QUESTIONNAIRE.themes;
const questions: readonly EligibilityQuestion[] = themes.flatMap((theme) => theme.questions);

/** The answer with the most points to every question: a strong provider. */
function bestAnswers(): Record<string, string> {
  return Object.fromEntries(
    questions.map((question) => [question.code, [...question.options].sort((a, b) => b.points - a.points)[0]!.value]),
  );
}

/** The answer with the fewest points that is not blocking. */
function weakest(question: EligibilityQuestion): string {
  return [...question.options].filter((option) => !option.blocking).sort((a, b) => a.points - b.points)[0]!.value;
}

function weakOn(...themeCodes: string[]): Record<string, string> {
  const answers = bestAnswers();
  for (const theme of themes.filter((t) => themeCodes.includes(t.code))) {
    for (const question of theme.questions) answers[question.code] = weakest(question);
  }
  return answers;
}

describe('eligibility questionnaire', () => {
  it('asks about the 5 themes of the guide, in its order', () => {
    expect(themes.map((theme) => theme.label)).toEqual(['Aptitudes', 'Publics', 'Territoires', 'Innovation', 'Compétences spécifiques']);
  });

  it('has stable, unique codes and option values, and French text everywhere', () => {
    expect(new Set(questions.map((question) => question.code)).size).toBe(questions.length);
    for (const question of questions) {
      expect(question.options.length, question.code).toBeGreaterThanOrEqual(2);
      expect(new Set(question.options.map((option) => option.value)).size, question.code).toBe(question.options.length);
      for (const option of question.options) {
        expect(option.value, question.code).toMatch(/^[a-z0-9_]+$/);
        expect(option.label.trim(), question.code).not.toBe('');
        expect(Number.isInteger(option.points) && option.points >= 0, question.code).toBe(true);
      }
      expect(question.label, question.code).toMatch(/\?$/);
      expect(question.advice.length, question.code).toBeGreaterThan(40);
    }
  });

  it('sets every theme a threshold of half its maximum, rounded up, that can be reached and missed', () => {
    for (const theme of themes) {
      expect(theme.threshold, theme.code).toBe(Math.ceil(maxPoints(theme) / 2));
      const fewest = theme.questions.reduce((sum, question) => sum + Math.min(...question.options.map((option) => option.points)), 0);
      expect(fewest, theme.code).toBeLessThan(theme.threshold);
    }
  });

  it('gives a blocking answer fewer points than the best, so that it always appears in the diagnostic', () => {
    for (const question of questions) {
      const best = Math.max(...question.options.map((option) => option.points));
      for (const option of question.options.filter((o) => o.blocking)) expect(option.points, question.code).toBeLessThan(best);
    }
  });
});

describe('scoring eligibility', () => {
  it('finds a provider eligible when every theme reaches its threshold', () => {
    const result = scoreEligibility(bestAnswers());
    expect(result.outcome).toBe('eligible');
    if (result.outcome !== 'eligible') return;
    expect(result.scores.map((score) => [score.theme, score.points === score.max, score.passed])).toEqual([
      ['aptitudes', true, true],
      ['publics', true, true],
      ['territories', true, true],
      ['innovation', true, true],
      ['specific_skills', true, true],
    ]);
  });

  it('passes a theme at exactly its threshold', () => {
    const answers: EligibilityAnswers = {
      ...bestAnswers(),
      territories_place: 'partner_place', // 2
      territories_outreach: 'never', // 0
      territories_prescribers: 'yes', // 2
      territories_network: 'no', // 0
    };
    const result = scoreEligibility(answers);
    expect(result.outcome).toBe('eligible');
    if (result.outcome === 'eligible') expect(result.scores.find((s) => s.theme === 'territories')).toMatchObject({ points: 4, threshold: 4, passed: true });
  });

  it('gives a diagnostic on the weak themes only, with the advice of the questions that lost points', () => {
    const result = scoreEligibility(weakOn('publics', 'innovation'));
    expect(result.outcome).toBe('not_yet');
    if (result.outcome !== 'not_yet') return;
    expect(result.diagnostic.map((entry) => entry.theme)).toEqual(['publics', 'innovation']);
    expect(result.diagnostic.map((entry) => entry.label)).toEqual(['Publics', 'Innovation']);
    const publics = result.diagnostic[0]!;
    expect(publics.questions).toEqual(['publics_priority', 'publics_first_contact', 'publics_specific_needs', 'publics_formats']);
    expect(publics.advice).toContain('test d’autonomie numérique');
    expect(result.scores.filter((score) => !score.passed).map((score) => score.theme)).toEqual(['publics', 'innovation']);
  });

  it('names in the diagnostic only the questions that lost points', () => {
    const answers = { ...weakOn('aptitudes'), aptitudes_staff: 'professionals', aptitudes_qualification: 'all' };
    // 3 + 2 + 0 + 0 = 5 of 9: passes; one point less fails.
    expect(scoreEligibility(answers).outcome).toBe('eligible');
    const result = scoreEligibility({ ...answers, aptitudes_qualification: 'some' });
    expect(result.outcome).toBe('not_yet');
    if (result.outcome === 'not_yet') {
      expect(result.diagnostic).toEqual([
        expect.objectContaining({ theme: 'aptitudes', questions: ['aptitudes_qualification', 'aptitudes_continuity', 'aptitudes_experience'] }),
      ]);
    }
  });

  it('fails a theme on an answer contrary to the charter, whatever its points', () => {
    const result = scoreEligibility({ ...bestAnswers(), skills_neutrality: 'own_products' });
    expect(result.outcome).toBe('not_yet');
    if (result.outcome !== 'not_yet') return;
    expect(result.scores.find((score) => score.theme === 'specific_skills')).toMatchObject({ points: 6, threshold: 4, passed: false });
    expect(result.diagnostic).toEqual([
      expect.objectContaining({ theme: 'specific_skills', questions: ['skills_neutrality'], advice: expect.stringContaining('offre commerciale') }),
    ]);
  });

  it('lists the unanswered questions, in questionnaire order, and scores nothing', () => {
    const answers: Record<string, string> = bestAnswers();
    delete answers.territories_network;
    delete answers.aptitudes_experience;
    answers.innovation_paths = '';
    expect(scoreEligibility(answers)).toEqual({
      outcome: 'incomplete',
      missing: ['aptitudes_experience', 'territories_network', 'innovation_paths'],
    });
    expect(scoreEligibility({})).toEqual({ outcome: 'incomplete', missing: questions.map((question) => question.code) });
  });

  it('treats an unknown option value, or one from another question, as no answer', () => {
    expect(scoreEligibility({ ...bestAnswers(), publics_priority: 'toujours', skills_neutrality: 'yes' })).toEqual({
      outcome: 'incomplete',
      missing: ['publics_priority', 'skills_neutrality'],
    });
    expect(scoreEligibility({ ...bestAnswers(), publics_formats: 'Individual_and_group' })).toMatchObject({ outcome: 'incomplete' });
  });

  it('ignores keys that are not questions, such as other form fields', () => {
    expect(scoreEligibility({ ...bestAnswers(), _csrf: 'token', constructor: 'x' }).outcome).toBe('eligible');
  });
});

import type { AppContext } from '../../app-context.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { ELIGIBILITY_QUESTIONNAIRE, scoreEligibility, type EligibilityAnswers, type EligibilityResult } from './eligibility.js';
import { lockEditableProvider } from './repository.js';

/**
 * Records the questionnaire as answered, with its version, score and outcome. Sending it again
 * stores a new answer: the latest counts, the earlier ones stay as history.
 */
export async function answerEligibility(
  ctx: AppContext,
  actor: Actor & { userId: string },
  providerId: string,
  answers: EligibilityAnswers,
): Promise<Exclude<EligibilityResult, { outcome: 'incomplete' }>> {
  const result = scoreEligibility(answers);
  if (result.outcome === 'incomplete') throw new DomainError('eligibility_incomplete');
  // Only the questionnaire's own questions are stored, whatever else was posted.
  const kept: Record<string, string> = {};
  for (const theme of ELIGIBILITY_QUESTIONNAIRE.themes) for (const question of theme.questions) kept[question.code] = answers[question.code]!;
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await lockEditableProvider(trx, providerId);
    const row = await trx
      .insertInto('eligibility_answers')
      .values({
        provider_id: providerId,
        questionnaire_version: ELIGIBILITY_QUESTIONNAIRE.version,
        answers: JSON.stringify(kept),
        outcome: result.outcome,
        scores: JSON.stringify(result.scores),
        answered_by: actor.userId,
        answered_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAuditEvent(trx, actor, now, {
      action: 'eligibility.answered',
      subjectType: 'provider',
      subjectId: providerId,
      after: { answerId: row.id, questionnaireVersion: ELIGIBILITY_QUESTIONNAIRE.version, outcome: result.outcome },
    });
  });
  return result;
}

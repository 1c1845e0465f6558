import type { MailMessage } from '../../mail/mailer.js';

/**
 * The e-mails the operator's review sends to a provider's admins, in French. Each one points at
 * the application page of the provider's space, where the whole thread is readable.
 */

export type ReviewMailKind = 'changes_requested' | 'qualified' | 'refused' | 'suspended' | 'reinstated' | 'message';

export interface ReviewMailInput {
  to: string;
  kind: ReviewMailKind;
  providerName: string;
  /** The operator's message or the reason of a suspension, quoted in the mail. */
  message?: string | undefined;
  publicUrl: string;
}

const SUBJECTS: Record<ReviewMailKind, string> = {
  changes_requested: 'Votre candidature passnum : des modifications sont demandées',
  qualified: 'Votre candidature passnum est acceptée : vous êtes acteur qualifié',
  refused: 'Votre candidature passnum n’a pas été retenue',
  suspended: 'Votre qualification passnum est suspendue',
  reinstated: 'Votre qualification passnum est rétablie',
  message: 'Nouveau message de l’opérateur sur votre candidature passnum',
};

function opening(kind: ReviewMailKind, name: string): string[] {
  switch (kind) {
    case 'changes_requested':
      return [`L’opérateur du pass numérique a examiné la candidature de « ${name} » et vous demande des modifications avant de pouvoir la qualifier.`, 'Son message :'];
    case 'qualified':
      return [
        `Bonne nouvelle : « ${name} » est maintenant acteur qualifié du pass numérique.`,
        'Vos lieux sont publiés sur la carte des lieux qui acceptent le pass numérique, avec leurs services actifs.',
      ];
    case 'refused':
      return [`L’opérateur du pass numérique a examiné la candidature de « ${name} » et ne l’a pas retenue.`, 'Son message :'];
    case 'suspended':
      return [
        `La qualification de « ${name} » est suspendue : vos lieux ne sont plus publiés et ne peuvent plus accepter le pass numérique pour l’instant.`,
        'Motif de la suspension :',
      ];
    case 'reinstated':
      return [`La qualification de « ${name} » est rétablie : vos lieux sont de nouveau publiés et acceptent le pass numérique.`];
    case 'message':
      return [`L’opérateur du pass numérique vous a écrit au sujet de la candidature de « ${name} » :`];
  }
}

export function reviewMail(input: ReviewMailInput): MailMessage {
  const quoted = input.message ? ['', ...input.message.split(/\r?\n/).map((line) => `> ${line}`)] : [];
  return {
    to: input.to,
    subject: SUBJECTS[input.kind],
    text: [
      'Bonjour,',
      '',
      ...opening(input.kind, input.providerName),
      ...quoted,
      '',
      'Pour voir votre candidature et répondre, ouvrez ce lien :',
      `${input.publicUrl}/structure/candidature`,
      '',
      'L’équipe passnum',
    ].join('\n'),
  };
}

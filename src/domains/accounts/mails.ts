import type { MailMessage } from '../../mail/mailer.js';

/** The account e-mails, in French. Links are built from PASSNUM_PUBLIC_URL. */

export function invitationMail(input: {
  to: string;
  organisationName: string;
  inviterName: string | null;
  link: string;
  expiresAt: Date;
}): MailMessage {
  const by = input.inviterName ? `${input.inviterName} vous invite` : 'Vous êtes invité·e';
  return {
    to: input.to,
    subject: `Invitation à rejoindre ${input.organisationName} sur passnum`,
    text: [
      'Bonjour,',
      '',
      `${by} à rejoindre « ${input.organisationName} » sur passnum, la plateforme du pass numérique.`,
      '',
      'Pour accepter, ouvrez ce lien :',
      input.link,
      '',
      `Ce lien est valable jusqu'au ${formatParis(input.expiresAt)}.`,
      "Si vous n'attendiez pas cette invitation, ignorez ce message.",
    ].join('\n'),
  };
}

export function passwordResetMail(input: { to: string; link: string; expiresAt: Date }): MailMessage {
  return {
    to: input.to,
    subject: 'Réinitialiser votre mot de passe passnum',
    text: [
      'Bonjour,',
      '',
      'Pour choisir un nouveau mot de passe, ouvrez ce lien :',
      input.link,
      '',
      `Ce lien ne sert qu'une fois et reste valable jusqu'au ${formatParis(input.expiresAt)}.`,
      "Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.",
    ].join('\n'),
  };
}

function formatParis(date: Date): string {
  return new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Paris' }).format(date);
}

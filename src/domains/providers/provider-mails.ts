import type { MailMessage } from '../../mail/mailer.js';

/** The e-mails of an application, in French. Links are built from PASSNUM_PUBLIC_URL. */

export function applicationSubmittedToOperatorMail(input: { to: string; providerName: string; link: string }): MailMessage {
  return {
    to: input.to,
    subject: `Nouvelle candidature à examiner : ${input.providerName}`,
    text: [
      'Bonjour,',
      '',
      `« ${input.providerName} » vient d’envoyer sa candidature pour accepter le pass numérique.`,
      '',
      'Pour l’examiner :',
      input.link,
    ].join('\n'),
  };
}

export function applicationSubmittedToApplicantMail(input: { to: string; providerName: string; link: string }): MailMessage {
  return {
    to: input.to,
    subject: 'Votre candidature au pass numérique est envoyée',
    text: [
      'Bonjour,',
      '',
      `La candidature de « ${input.providerName} » a bien été envoyée à l’opérateur du pass numérique.`,
      'Vous recevrez un e-mail dès qu’elle aura été examinée. Vous pouvez suivre son état et échanger avec l’opérateur ici :',
      input.link,
    ].join('\n'),
  };
}

export function applicantMessageToOperatorMail(input: { to: string; providerName: string; link: string }): MailMessage {
  return {
    to: input.to,
    subject: `Nouveau message de ${input.providerName} sur sa candidature`,
    text: ['Bonjour,', '', `« ${input.providerName} » vous a écrit à propos de sa candidature.`, '', 'Pour lire le message et répondre :', input.link].join('\n'),
  };
}

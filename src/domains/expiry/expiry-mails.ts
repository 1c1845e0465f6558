import type { MailMessage } from '../../mail/mailer.js';
import { formatLongDate, type IsoDate } from '../../lib/paris-dates.js';

/** The expiry e-mails to a funder's admins, in French (DOMAIN.md, flow 6). */

export interface OrderFigures {
  booklets: number;
  /** Entrusted to a distributor. */
  allocated: number;
  /** Still with the funder: not entrusted to any distributor. */
  notAllocated: number;
  /** Handed to holders by a distributor. */
  handedOut: number;
  /** At least one voucher used. */
  started: number;
  cancelled: number;
  vouchers: number;
  usedVouchers: number;
  unusedCents: number;
}

export interface ExpiryMailInput {
  to: string;
  orderNumber: string;
  orderLabel: string | null;
  validUntil: IsoDate;
  /** The last day scans of services delivered in time are taken. */
  lastScanDay: IsoDate;
  figures: OrderFigures;
  link: string;
}

const euros = (cents: number) => `${(cents / 100).toLocaleString('fr-FR', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} €`;

function figuresText(f: OrderFigures): string[] {
  return [
    `- carnets émis : ${f.booklets}`,
    `- confiés à des distributeurs : ${f.allocated}`,
    `- non confiés (encore chez vous) : ${f.notAllocated}`,
    `- remis à des bénéficiaires : ${f.handedOut}`,
    `- entamés (au moins un chèque utilisé) : ${f.started}`,
    ...(f.cancelled > 0 ? [`- annulés (perdus, volés, abîmés) : ${f.cancelled}`] : []),
    `- chèques utilisés : ${f.usedVouchers} sur ${f.vouchers} ; valeur des chèques non utilisés : ${euros(f.unusedCents)}`,
  ];
}

function title(input: ExpiryMailInput): string {
  return `${input.orderNumber}${input.orderLabel ? ` (${input.orderLabel})` : ''}`;
}

export function expiryAlertMail(input: ExpiryMailInput): MailMessage {
  return {
    to: input.to,
    subject: `Vos chèques de la commande ${input.orderNumber} arrivent à échéance le ${formatLongDate(input.validUntil)}`,
    text: [
      'Bonjour,',
      '',
      `Les chèques de la commande ${title(input)} sont valables jusqu’au ${formatLongDate(input.validUntil)}. Où en sont vos carnets :`,
      '',
      ...figuresText(input.figures),
      '',
      'Il reste un mois pour faire remettre les carnets non distribués et rappeler aux bénéficiaires d’utiliser leurs chèques.',
      `Les lieux peuvent encore enregistrer jusqu’au ${formatLongDate(input.lastScanDay)} les services rendus pendant la validité.`,
      'Ensuite, la valeur des chèques non utilisés vous revient par un avoir.',
      '',
      'Le détail de la commande :',
      input.link,
    ].join('\n'),
  };
}

export function expiryBlockingMail(input: ExpiryMailInput): MailMessage {
  return {
    to: input.to,
    subject: `Commande ${input.orderNumber} : les chèques non utilisés seront bloqués après le ${formatLongDate(input.validUntil)}`,
    text: [
      'Bonjour,',
      '',
      `Dans quinze jours, le ${formatLongDate(input.validUntil)} au soir, les chèques de la commande ${title(input)} ne pourront plus payer de nouveau service.`,
      '',
      ...figuresText(input.figures),
      '',
      'Merci de confirmer ce blocage sur la page de la commande ; d’ici là, vous ne pourrez plus en confier de carnets à un distributeur.',
      'Si vous souhaitez prolonger la validité de la commande, écrivez-nous avant cette date. Sans réponse de votre part avant l’échéance, le blocage s’appliquera.',
      '',
      'Confirmer l’échéance :',
      input.link,
    ].join('\n'),
  };
}

export function expiryAcknowledgementMail(input: ExpiryMailInput): MailMessage {
  return {
    to: input.to,
    subject: `Commande ${input.orderNumber} : échéance le ${formatLongDate(input.validUntil)}, ce qui va se passer`,
    text: [
      'Bonjour,',
      '',
      `Nous vous confirmons l’échéance de la commande ${title(input)} le ${formatLongDate(input.validUntil)}.`,
      '',
      ...figuresText(input.figures),
      '',
      `Les lieux ont jusqu’au ${formatLongDate(input.lastScanDay)} pour enregistrer les services rendus pendant la validité ; le lendemain, un avoir vous sera adressé pour la valeur des chèques restés inutilisés.`,
      '',
      input.link,
    ].join('\n'),
  };
}

export function creditNoteMail(input: ExpiryMailInput & { creditNoteNumber: string; amountCents: number }): MailMessage {
  return {
    to: input.to,
    subject: `Avoir ${input.creditNoteNumber} : ${euros(input.amountCents)} pour les chèques non utilisés de la commande ${input.orderNumber}`,
    text: [
      'Bonjour,',
      '',
      `La commande ${title(input)} est arrivée à échéance le ${formatLongDate(input.validUntil)} et la période de tolérance s’est achevée le ${formatLongDate(input.lastScanDay)}.`,
      '',
      ...figuresText(input.figures),
      '',
      `L’avoir ${input.creditNoteNumber} de ${euros(input.amountCents)} vous rend la valeur des chèques non utilisés : elle est portée au crédit de votre compte.`,
      '',
      input.link,
    ].join('\n'),
  };
}

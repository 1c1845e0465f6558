import { isIsoDate, type IsoDate } from '../../lib/paris-dates.js';
import { validateBic, validateIban } from '../providers/identifiers.js';

/**
 * The bank file of a payout batch: an ISO 20022 customer credit transfer initiation,
 * pain.001.001.09, as the SEPA credit transfer rulebook restricts it (EPC): one payment
 * information block debiting the platform's account, one transaction per provider, service level
 * SEPA, charges shared as the scheme says (SLEV), euros only.
 *
 * Amounts are integer cents from start to end: written « 12.34 » by string arithmetic, summed as
 * integers, never through a float. Free text goes through the SEPA Latin character set (accents
 * transliterated, anything else replaced) and is cut to the rulebook's lengths; identifiers are
 * refused rather than altered, since the bank answers with them. The XML is written by hand, every
 * value escaped; test/settlement/sepa-xsd.test.ts validates the output against the XSD.
 */

export const PAIN_001_NAMESPACE = 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.09';

/** The rulebook's lengths (the XSD allows 140 for names; SEPA keeps 70). */
export const SEPA_LIMITS = { name: 70, identifier: 35, remittance: 140 } as const;

/** The largest amount of one SEPA credit transfer: 999,999,999.99 €. */
export const MAX_TRANSFER_CENTS = 99_999_999_999;

export interface SepaParty {
  name: string;
  iban: string;
  bic: string;
}

export interface SepaPayment {
  /** Our reference of the transfer, sent back by the bank with a rejection. */
  endToEndId: string;
  /** Integer cents, at least 1. */
  amountCents: number;
  creditor: { name: string; iban: string; bic: string | null };
  /** Unstructured remittance text, shown on the creditor's statement. */
  remittance: string;
}

export interface Pain001Input {
  messageId: string;
  createdAt: Date;
  requestedOn: IsoDate;
  debtor: SepaParty;
  payments: readonly SepaPayment[];
}

export interface Pain001 {
  xml: string;
  transactions: number;
  controlSumCents: number;
}

export function buildPain001(input: Pain001Input): Pain001 {
  const messageId = sepaIdentifier(input.messageId, 'MsgId');
  if (!isIsoDate(input.requestedOn)) throw new Error(`pain.001: requested execution date ${input.requestedOn} is not a YYYY-MM-DD day`);
  if (Number.isNaN(input.createdAt.getTime())) throw new Error('pain.001: invalid creation instant');
  if (input.payments.length === 0) throw new Error('pain.001: a transfer file needs at least one payment');

  const debtorName = sepaText(input.debtor.name, SEPA_LIMITS.name);
  if (debtorName === '') throw new Error('pain.001: the debtor has no name');
  const debtorIban = sepaIban(input.debtor.iban, 'debtor');
  const debtorBic = sepaBic(input.debtor.bic, 'debtor');

  const seen = new Set<string>();
  let controlSumCents = 0;
  const transactions: string[] = [];
  for (const [index, payment] of input.payments.entries()) {
    const endToEndId = sepaIdentifier(payment.endToEndId, `EndToEndId of payment ${index + 1}`);
    if (seen.has(endToEndId)) throw new Error(`pain.001: EndToEndId ${endToEndId} appears twice`);
    seen.add(endToEndId);
    const amount = formatSepaAmount(payment.amountCents);
    controlSumCents += payment.amountCents;
    if (!Number.isSafeInteger(controlSumCents)) throw new Error('pain.001: control sum out of range');
    const name = sepaText(payment.creditor.name, SEPA_LIMITS.name);
    if (name === '') throw new Error(`pain.001: the creditor of ${endToEndId} has no name`);
    const iban = sepaIban(payment.creditor.iban, `creditor of ${endToEndId}`);
    const bic = payment.creditor.bic === null || payment.creditor.bic.trim() === '' ? null : sepaBic(payment.creditor.bic, `creditor of ${endToEndId}`);
    const remittance = sepaText(payment.remittance, SEPA_LIMITS.remittance);
    transactions.push(
      [
        '      <CdtTrfTxInf>',
        `        <PmtId><EndToEndId>${escapeXml(endToEndId)}</EndToEndId></PmtId>`,
        `        <Amt><InstdAmt Ccy="EUR">${amount}</InstdAmt></Amt>`,
        // No BIC: the IBAN alone routes a SEPA transfer (IBAN-only since 2016).
        ...(bic === null ? [] : [`        <CdtrAgt><FinInstnId><BICFI>${escapeXml(bic)}</BICFI></FinInstnId></CdtrAgt>`]),
        `        <Cdtr><Nm>${escapeXml(name)}</Nm></Cdtr>`,
        `        <CdtrAcct><Id><IBAN>${escapeXml(iban)}</IBAN></Id></CdtrAcct>`,
        ...(remittance === '' ? [] : [`        <RmtInf><Ustrd>${escapeXml(remittance)}</Ustrd></RmtInf>`]),
        '      </CdtTrfTxInf>',
      ].join('\n'),
    );
  }

  const count = String(input.payments.length);
  const controlSum = formatSepaAmount(controlSumCents, { allowAboveTransferLimit: true });
  const xml = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<Document xmlns="${PAIN_001_NAMESPACE}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`,
    '  <CstmrCdtTrfInitn>',
    '    <GrpHdr>',
    `      <MsgId>${escapeXml(messageId)}</MsgId>`,
    `      <CreDtTm>${parisDateTime(input.createdAt)}</CreDtTm>`,
    `      <NbOfTxs>${count}</NbOfTxs>`,
    `      <CtrlSum>${controlSum}</CtrlSum>`,
    `      <InitgPty><Nm>${escapeXml(debtorName)}</Nm></InitgPty>`,
    '    </GrpHdr>',
    '    <PmtInf>',
    `      <PmtInfId>${escapeXml(messageId)}</PmtInfId>`,
    '      <PmtMtd>TRF</PmtMtd>',
    `      <NbOfTxs>${count}</NbOfTxs>`,
    `      <CtrlSum>${controlSum}</CtrlSum>`,
    '      <PmtTpInf><SvcLvl><Cd>SEPA</Cd></SvcLvl></PmtTpInf>',
    `      <ReqdExctnDt><Dt>${input.requestedOn}</Dt></ReqdExctnDt>`,
    `      <Dbtr><Nm>${escapeXml(debtorName)}</Nm></Dbtr>`,
    `      <DbtrAcct><Id><IBAN>${escapeXml(debtorIban)}</IBAN></Id><Ccy>EUR</Ccy></DbtrAcct>`,
    `      <DbtrAgt><FinInstnId><BICFI>${escapeXml(debtorBic)}</BICFI></FinInstnId></DbtrAgt>`,
    '      <ChrgBr>SLEV</ChrgBr>',
    ...transactions,
    '    </PmtInf>',
    '  </CstmrCdtTrfInitn>',
    '</Document>',
    '',
  ].join('\n');
  return { xml, transactions: input.payments.length, controlSumCents };
}

// ---------------------------------------------------------------------------------------------
// Amounts

/** 1234 → "12.34", 1 → "0.01": exactly two decimals, from the integer, never through a float. */
export function formatSepaAmount(cents: number, options: { allowAboveTransferLimit?: boolean } = {}): string {
  if (!Number.isSafeInteger(cents) || cents < 1) throw new Error(`pain.001: an amount is a positive whole number of cents, not ${cents}`);
  if (!options.allowAboveTransferLimit && cents > MAX_TRANSFER_CENTS) throw new Error(`pain.001: ${cents} cents exceeds the largest SEPA transfer`);
  const digits = String(cents).padStart(3, '0');
  return `${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

// ---------------------------------------------------------------------------------------------
// Text

/** The SEPA Latin character set (EPC 217-08): what every bank of the scheme must carry. */
const SEPA_CHARACTER = /^[A-Za-z0-9/\-?:().,'+ ]$/u;

/** Letters that do not decompose into a base letter and accents. */
const TRANSLITERATIONS: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  Æ: 'AE',
  œ: 'oe',
  Œ: 'OE',
  ø: 'o',
  Ø: 'O',
  ł: 'l',
  Ł: 'L',
  đ: 'd',
  Đ: 'D',
  ð: 'd',
  Ð: 'D',
  þ: 'th',
  Þ: 'TH',
  ı: 'i',
  '&': '+',
  '’': "'",
  '‘': "'",
  ʼ: "'",
  '`': "'",
  '´': "'",
  '–': '-',
  '—': '-',
  '‐': '-',
  '‑': '-',
  '−': '-',
  _: '-',
  '€': 'EUR',
  '…': '...',
};

/**
 * Free text as SEPA carries it: accents dropped (é → e), a few letters spelled out (œ → oe), white
 * space of any kind as one space, anything else outside the set as « . »; then cut to `max`.
 */
export function sepaText(text: string, max: number): string {
  let out = '';
  for (const char of text.normalize('NFC')) {
    if (SEPA_CHARACTER.test(char)) {
      out += char;
      continue;
    }
    if (/^\s$/u.test(char) || /^\p{Cc}$/u.test(char)) {
      out += ' ';
      continue;
    }
    const spelled = TRANSLITERATIONS[char];
    if (spelled !== undefined) {
      out += spelled;
      continue;
    }
    const base = char.normalize('NFD').replace(/\p{M}/gu, '');
    out += base !== '' && [...base].every((c) => SEPA_CHARACTER.test(c)) ? base : '.';
  }
  return out.replace(/ {2,}/gu, ' ').trim().slice(0, max).trimEnd();
}

/**
 * An identifier (MsgId, EndToEndId): 1 to 35 characters of the SEPA set, neither starting nor
 * ending with « / » nor holding « // » (EPC). Refused, never rewritten: the bank quotes it back.
 */
export function sepaIdentifier(id: string, what: string): string {
  const valid =
    id.length >= 1 &&
    id.length <= SEPA_LIMITS.identifier &&
    [...id].every((c) => SEPA_CHARACTER.test(c)) &&
    id.trim() === id &&
    !id.startsWith('/') &&
    !id.endsWith('/') &&
    !id.includes('//');
  if (!valid) throw new Error(`pain.001: ${what} « ${id} » is not a SEPA identifier (1 to 35 characters of the SEPA set)`);
  return id;
}

function sepaIban(iban: string, whose: string): string {
  const checked = validateIban(iban);
  if (!checked.ok) throw new Error(`pain.001: the IBAN of the ${whose} is invalid (${checked.reason})`);
  return checked.value.iban;
}

function sepaBic(bic: string, whose: string): string {
  const checked = validateBic(bic);
  if (!checked.ok) throw new Error(`pain.001: the BIC of the ${whose} is invalid`);
  return checked.value;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Element content and attribute values; the SEPA set leaves only « ' » to escape, but nothing is assumed. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/gu, (char) => XML_ESCAPES[char]!);
}

// ---------------------------------------------------------------------------------------------
// Time

const parisParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Paris',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'longOffset',
});

/** 2026-04-10T09:30:00+02:00: the creation instant in Paris time, with its offset. */
export function parisDateTime(instant: Date): string {
  const parts = Object.fromEntries(parisParts.formatToParts(instant).map((part) => [part.type, part.value]));
  // longOffset gives « GMT+02:00 », or « GMT » alone at offset zero (never in Paris, but exact).
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : String(parts.timeZoneName).replace('GMT', '');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

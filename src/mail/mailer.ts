import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../config.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/**
 * SMTP when SMTP_URL is set. Otherwise a development mailbox: each message is written to the mail
 * directory (as .eml for a mail client and .txt to read) and announced on standard error, so that a
 * newcomer can follow the link. That announcement deliberately bypasses the structured log, which
 * never carries tokens: the development mailbox is for machines without SMTP, not for production.
 */
export function createMailer(config: Pick<Config, 'smtpUrl' | 'mailFrom' | 'mailDir'>, announce = true): Mailer {
  if (config.smtpUrl) {
    const transport = nodemailer.createTransport(config.smtpUrl);
    return {
      async send(message) {
        await transport.sendMail({ from: config.mailFrom, ...message });
      },
    };
  }
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  let sequence = 0;
  return {
    async send(message) {
      const info = await transport.sendMail({ from: config.mailFrom, ...message });
      await mkdir(config.mailDir, { recursive: true });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const base = path.join(config.mailDir, `${stamp}-${process.pid}-${++sequence}`);
      await writeFile(`${base}.eml`, info.message as Buffer);
      await writeFile(`${base}.txt`, `À : ${message.to}\nObjet : ${message.subject}\n\n${message.text}\n`);
      if (announce) {
        process.stderr.write(
          `\n[courrier de développement, pas de SMTP_URL] ${base}.txt\nÀ : ${message.to}\nObjet : ${message.subject}\n${message.text}\n\n`,
        );
      }
    },
  };
}

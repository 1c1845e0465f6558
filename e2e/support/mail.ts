import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** The mailer names files `<ISO stamp>-<pid>-<sequence>`: the sequence orders them within a run. */
function sequenceOf(file: string): number {
  return Number(/-(\d+)\.txt$/.exec(file)?.[1] ?? -1);
}

/**
 * The link of the newest mail (.txt) written to `to` in the mail directory. Waits a little: the
 * page may answer a moment before the file is written.
 */
export async function lastLinkMailedTo(mailDir: string, to: string, timeoutMs = 5_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const files = (await readdir(mailDir)).filter((f) => f.endsWith('.txt')).sort((a, b) => sequenceOf(b) - sequenceOf(a));
    for (const file of files) {
      const text = await readFile(path.join(mailDir, file), 'utf8');
      if (text.split('\n', 1)[0] !== `À : ${to}`) continue;
      const link = text.match(/https?:\/\/\S+/g)?.at(-1);
      if (!link) throw new Error(`the mail ${file} to ${to} holds no link:\n${text}`);
      return link;
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${to} in ${mailDir} (files: ${files.join(', ') || 'none'})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

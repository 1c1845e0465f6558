import { describe, expect, it } from 'vitest';
import { run } from '../support/cli.js';

describe('command line', () => {
  it('lists its commands', async () => {
    const help = await run(['--help'], {});
    expect(help.code).toBe(0);
    for (const command of ['serve', 'migrate', 'demo', 'create-operator']) expect(help.stdout).toContain(command);
  });
});


#!/usr/bin/env node
// Entry point of `npx passnum` and `npm start`: TypeScript sources run through tsx, so that the
// command line and the server are the same code, with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');

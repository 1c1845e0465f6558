/**
 * Benchmarks, by name: `npm run bench -- search` (or issue, redeem, settle). Each prints its own figures;
 * none is run by the tests (timings on a shared machine are not assertions).
 */
const BENCHES: Record<string, () => Promise<{ main(): Promise<void> }>> = {
  search: () => import('./search-places.js'),
  issue: () => import('./issue-vouchers.js'),
  redeem: () => import('./redeem.js'),
  settle: () => import('./settle.js'),
};

const name = process.argv[2];
const load = name === undefined ? undefined : BENCHES[name];
if (!load) {
  console.error(`Usage : npm run bench -- <${Object.keys(BENCHES).join('|')}>`);
  process.exit(2);
}
await (await load()).main();

// `node --import ./tests/support/tuiImportProbe.mjs bin/redeemctl.js …` prints one line
// "LOADED <url>" for each module of ink, react, kafkajs or pg that the command loads: the test that
// `dash --help` stays light (tests/tui/console.test.ts) reads them.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (/\\/node_modules\\/(ink|react|kafkajs|pg)\\//.test(result.url)) console.log('LOADED ' + result.url);
  return result;
}`),
);

// ESM resolve hook for the npm package wukongimjssdk 1.0.4 (registered by sdk_loader.mjs).
//
// The package ships compiler output in ESM syntax whose relative imports have no file
// extension ("./const") and, in one place, name a directory ("." in reminder_manager.js).
// Node's ESM resolver refuses both. For imports made from inside the package only, a failed
// relative specifier is retried with ".js" appended, then with "/index.js" appended.

const SDK_DIR = '/node_modules/wukongimjssdk/';

function isRelative(specifier) {
  return specifier === '.' || specifier === '..' ||
    specifier.startsWith('./') || specifier.startsWith('../');
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    const fromSdk = typeof context.parentURL === 'string' && context.parentURL.includes(SDK_DIR);
    const retryable = err && (err.code === 'ERR_MODULE_NOT_FOUND' ||
      err.code === 'ERR_UNSUPPORTED_DIR_IMPORT');
    if (!fromSdk || !retryable || !isRelative(specifier)) throw err;
    const base = specifier.endsWith('/') ? specifier.slice(0, -1) : specifier;
    for (const candidate of [base + '.js', base + '/index.js']) {
      try {
        return await nextResolve(candidate, context);
      } catch {
        // try the next form
      }
    }
    throw err;
  }
}

// The manifest must be a literal: discovery parses the module, it never runs it.
export const metadata = { id: 'module-computed-metadata', version: process.env.PLUGIN_VERSION ?? '1.0.0' };
export default { activate() {} };

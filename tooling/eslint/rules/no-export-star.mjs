// House rule: an index file names its exports. `export * from './x'` turns every internal of x
// into public API (the barrel problem the style guide warns about in bullmq); list the names instead.
import path from 'node:path';

const INDEX = /^index\.(ts|mts|cts|js|mjs|cjs)$/;

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid `export *` in index files: a package index lists its exports by name' },
    schema: [],
    messages: {
      exportStar: '`export * from {{source}}` in an index: list the exports by name (a curated public surface).',
    },
  },
  create(context) {
    if (!INDEX.test(path.basename(context.filename))) return {};
    return {
      ExportAllDeclaration(node) {
        context.report({ node, messageId: 'exportStar', data: { source: String(node.source.raw) } });
      },
    };
  },
};
